/**
 * `make bench`: Tributary measured against its own limits. Starts a
 * nats-server and the built gateway and sink (embedded ClickHouse) in a
 * temporary folder, runs the raw baselines (B1 JetStream, B2 ClickHouse) and
 * the scenarios (S1 ingest, sink drain, each sink stage alone, S2 end to
 * end, S3 latency at half load, S4 replay, S5 S1 over TLS, S6 S3 beside a
 * rate-limited noisy source, S7 S1 with 100,000 suppressed ids in the
 * policy ledger, S8 S1 from a source with a consent policy, 1,000,000
 * consent decisions in the ledger, S9 S1 with accounting off and on, S10 a
 * flood of invalid records, S11 S1 with nats-server's sync always, S12 S1
 * from a source with a tracking plan of 50 events in block mode, S13 a
 * replay of 300,000 records, alone and beside an open loop) with load
 * generators in their own processes, and writes
 * the report to bench/results/. Every figure is also a ratio to a baseline
 * of the same run. BENCH_RECORDS sets the records per scenario (100000).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { postAdminQuery } from '../src/http/admin-query-client';
import { syncConfig } from '../src/serve/embedded-nats';
import { NatsServerProcess } from '../src/serve/nats-server-process';
import { makeCertificates } from '../test/helpers/certificates';
import { natsServer210 } from '../test/helpers/nats-server';
import { metricValue } from '../test/helpers/privacy-calls';
import { waitFor } from '../test/helpers/wait';
import { benchStack } from './suite/bench-stack';
import { measureReplay } from './suite/replay-scenario';
import type { LoadPlan, LoadResult } from './suite/load-generator';
import type { StagePlan } from './suite/stage-drain';
import { atRest, cpuMeter, peakRssMb } from './suite/process-stats';
import { cpuSets, pinProcess } from './suite/cpu-pinning';
import { runChild, startRole, withServices } from './suite/processes';
import { fillConsent } from './suite/consent-fill';
import { MIX_PROFILES, mixPlan, recordMix } from './suite/record-mix';
import { writeReport, type Goal } from './suite/report';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);
/** The CPUs S9, S10 and S12 pin their processes to (suite/cpu-pinning.ts); undefined where nothing can be pinned. */
const cpuSet = cpuSets();
/** Node options for every gateway the benchmark starts (BENCH_GATEWAY_NODE_OPTIONS, e.g. a V8 heap setting to compare); none by default. */
const GATEWAY_NODE_OPTIONS = process.env.BENCH_GATEWAY_NODE_OPTIONS ?? '';
/** Records a fresh gateway (S9, S10, S12) takes before it is measured. */
const WARM_RECORDS = Math.round(RECORDS * 0.3);
const STREAM = 'BENCH';
const SUBJECTS = 'bench';
const S3_SECONDS = 15;
/** The rate limit of the noisy source of S6, in records a second; it sends at twice this. */
const NOISY_CAP = 2000;
/** Suppressed ids in the policy ledger for S7, put there through AdminService in requests of the most subjects one may hold. */
const SUPPRESSED_IDS = 100_000;
const SUBJECTS_PER_REQUEST = 5000;
/** Consent decisions in the policy ledger for S8: those of every profile and user id of the record mix, and made-up ids up to this. */
const CONSENT_DECISIONS = 1_000_000;
/** The category S8's gated source needs. */
const CONSENT_CATEGORY = 'analytics';
/** Pairs of S9 runs, accounting off and on. */
const S9_PAIRS = 5;
/** Pairs of S11 runs, nats-server's default sync and sync always. */
const S11_PAIRS = 3;
/** Records S13 replays (at most what the stream holds then). */
const REPLAY_RECORDS = 300_000;
/** Pairs of S12 runs, from the source without a plan and from one with it. */
const S12_PAIRS = 7;
/** Track events in S12's plan. */
const S12_EVENTS = 50;
/** Longest wait for the sink to catch up, and how often to look (each look may be a FINAL count on the sink). */
const WAIT_MS = 180_000;
const POLL_MS = 100;
type Measured = LoadResult & { cpuSeconds: number; peakRssMb: number };
type StageFigures = { seconds: number; records: number; stageCpuSeconds: number; peakRssMb: number };

/** Whether an HTTPS endpoint answers 200, trusting `ca`. */
const httpsOk = (url: string, ca: Buffer): Promise<boolean> =>
  new Promise((resolve) => {
    httpsGet(url, { ca }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    }).on('error', () => resolve(false));
  });

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const perMillion = (seconds: number, records: number) => round((seconds / records) * 1e6, 1);

/** Rows the record mix should leave in ClickHouse with FINAL: one per event, one per product id. */
function expectedRows(ranges: readonly { run: string; to: number }[]): { events: number; products: number } {
  let events = 0;
  const products = new Set<string>();
  for (const { run, to } of ranges) {
    for (const record of recordMix(0, to, run)) {
      if (record.kind?.$case === 'product') products.add(record.kind.value.productId);
      else events++;
    }
  }
  return { events, products: products.size };
}

async function main(): Promise<void> {
  const stack = await benchStack('bench');
  const { stamp: started, dir, nats, natsBinary: binary, apiKey, adminKey, grpcPort, gatewayHttp, sinkHttp, jsm } = stack;
  const natsPid = nats.pid ?? 0;
  const common = { NATS_URL: nats.url, TRIBUTARY_STREAM: STREAM, TRIBUTARY_SUBJECT_PREFIX: SUBJECTS, TRIBUTARY_LOG_LEVEL: 'warn', TRIBUTARY_STREAM_DUPLICATE_WINDOW: '30m' };
  await withServices(
    async (services) => {
      console.log(`B1 raw JetStream: ${RECORDS} records`);
      const b1 = await runChild<{ recordsPerSecond: number; envelopeBytes: number; cpuSeconds: number }>('raw-publish', {
        natsUrl: nats.url,
        stream: 'RAW',
        run: 'b1',
        records: RECORDS,
        batch: 500,
        window: 8,
      });
      await jsm.streams.delete('RAW').catch(() => undefined);
      console.log(`B2 raw ClickHouse: ${RECORDS} rows`);
      const b2 = await runChild<{ rowsPerSecond: number; cpuSeconds: number }>('raw-insert', { dataDir: join(dir, 'raw'), run: 'b2', records: RECORDS, batchSize: 10_000 });

      // Every gateway here reads a sources file in which one source, "noisy", has a rate limit (S6); "bench" has none.
      const sourcesFile = join(dir, 'sources.json');
      writeFileSync(sourcesFile, JSON.stringify({ sources: { noisy: { rateLimit: { recordsPerSecond: NOISY_CAP, burst: NOISY_CAP } } } }));
      const noisyKey = `${apiKey}-noisy`;
      const keys = `${apiKey}=bench,${noisyKey}=noisy`;
      // The gateway's settings; S5 starts it again over TLS with the same.
      const gatewayEnv = {
        ...common,
        TRIBUTARY_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
        TRIBUTARY_HTTP_ADDR: `127.0.0.1:${gatewayHttp}`,
        TRIBUTARY_API_KEYS: keys,
        TRIBUTARY_SOURCES_FILE: sourcesFile,
        TRIBUTARY_ADMIN_KEY: adminKey,
        ...(GATEWAY_NODE_OPTIONS === '' ? {} : { NODE_OPTIONS: GATEWAY_NODE_OPTIONS }),
      };
      const gatewayReady = async (started: number) => {
        await waitFor('the gateway', async () => ((await fetch(`http://127.0.0.1:${gatewayHttp}/readyz`)).ok ? true : undefined), 180_000, POLL_MS);
        return round((performance.now() - started) / 1000, 1);
      };
      const gateway = startRole('gateway', gatewayEnv);
      services.push(gateway);
      const gatewayStartSeconds = await gatewayReady(performance.now());
      /** Runs a load generator with `plan` against the gateway, from source `key` (bench's by default), on `cpus` when given. */
      const load = async (plan: Omit<LoadPlan, 'target' | 'apiKey'>, key = apiKey, cpus?: string): Promise<Measured> =>
        runChild<Measured>('load-generator', { target: `127.0.0.1:${grpcPort}`, apiKey: key, ...plan }, undefined, cpus);

      const s1: { [mode: string]: Measured & { cpu: { [name: string]: number } } } = {};
      const modes: [string, Omit<LoadPlan, 'target' | 'apiKey' | 'run' | 'from' | 'to'>][] = [
        ['Ingest, batches of 100', { mode: 'closed-unary', batch: 100, concurrency: 32 }],
        ['Ingest, batches of 500', { mode: 'closed-unary', batch: 500, concurrency: 8 }],
        ['IngestStream, batches of 500', { mode: 'stream', batch: 500, concurrency: 8 }],
      ];
      for (const [index, [name, mode]] of modes.entries()) {
        console.log(`S1 ingest: ${name}`);
        const meter = cpuMeter({ gateway: gateway.pid, nats: natsPid });
        const result = await load({ ...mode, run: `s1m${index}`, from: 0, to: RECORDS });
        s1[name] = { ...result, cpu: meter.done() };
      }
      const [bestName, best] = Object.entries(s1).sort((a, b) => b[1].recordsPerSecond - a[1].recordsPerSecond)[0];
      const bestMode = modes.find(([name]) => name === bestName)![1];

      console.log(`sink drain: ${3 * RECORDS} records already in the stream`);
      const lastSeq = async () => (await jsm.streams.info(STREAM)).state.last_seq;
      const ackFloor = async () => (await jsm.consumers.info(STREAM, 'tributary-sink')).ack_floor.stream_seq;
      /** Waits until the sink has acked everything in the stream. */
      const caughtUp = async () => void (await waitFor('the sink to catch up', async () => ((await ackFloor()) >= (await lastSeq()) ? true : undefined), WAIT_MS, POLL_MS));
      const inStream = await lastSeq();
      const drainStart = performance.now();
      const sink = startRole('sink', { ...common, TRIBUTARY_DATA_DIR: join(dir, 'sink'), TRIBUTARY_HTTP_ADDR: `127.0.0.1:${sinkHttp}`, TRIBUTARY_ADMIN_KEY: adminKey });
      services.push(sink);
      const drainMeter = cpuMeter({ sink: sink.pid, nats: natsPid });
      await waitFor('the sink to drain the stream', async () => ((await ackFloor()) >= inStream ? true : undefined), WAIT_MS, POLL_MS);
      const drain = { seconds: (performance.now() - drainStart) / 1000, cpu: drainMeter.done() };

      console.log('stages: the sink stage, then the identity stage, alone on the same stream');
      const stage = (name: StagePlan['stage']) =>
        runChild<StageFigures>('stage-drain', { stage: name, natsUrl: nats.url, stream: STREAM, subjectPrefix: SUBJECTS, dataDir: join(dir, `stage-${name}`) });
      const stages = { sink: await stage('sink'), identity: await stage('identity') };

      const query = async <T>(sql: string): Promise<T> => (await postAdminQuery<T>(`127.0.0.1:${sinkHttp}`, adminKey, sql))[0];
      const counts = async () => {
        const row = await query<{ [k: string]: string }>(
          'SELECT (SELECT count() FROM tributary.events FINAL) AS events, (SELECT count() FROM tributary.products FINAL) AS products, (SELECT count() FROM tributary.events) AS events_raw, (SELECT count() FROM tributary.products) AS products_raw',
        );
        return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
      };

      console.log(`S2 end to end: ${RECORDS} records, ${bestName}`);
      const ranges = [...modes.map((_, i) => ({ run: `s1m${i}`, to: RECORDS })), { run: 's2', to: RECORDS }];
      const expected = expectedRows(ranges);
      let maxPending = 0;
      const s2Meter = cpuMeter({ gateway: gateway.pid, sink: sink.pid, nats: natsPid });
      const s2Start = performance.now();
      const s2Sent = await load({ ...bestMode, run: 's2', from: 0, to: RECORDS });
      const s2SentAt = performance.now();
      await waitFor(
        'every S2 record in ClickHouse with FINAL',
        async () => {
          const info = await jsm.consumers.info(STREAM, 'tributary-sink');
          maxPending = Math.max(maxPending, info.num_pending + info.num_ack_pending);
          // The sink acks only what it stored: count (a FINAL query on the sink) only once it has acked everything.
          if (info.num_pending + info.num_ack_pending > 0) return undefined;
          const now = await counts();
          return now.events === expected.events && now.products === expected.products ? true : undefined;
        },
        WAIT_MS,
        POLL_MS,
      );
      const s2 = { seconds: (performance.now() - s2Start) / 1000, lagAfterLastAckSeconds: (performance.now() - s2SentAt) / 1000, cpu: s2Meter.done(), load: s2Sent };

      console.log('S4 replay of S2');
      const before = await counts();
      const s4 = await load({ ...bestMode, run: 's2', from: 0, to: RECORDS });
      await caughtUp();
      const after = await counts();
      const added = { final: after.events + after.products - before.events - before.products, raw: after.events_raw + after.products_raw - before.events_raw - before.products_raw };

      const rate = Math.round(best.recordsPerSecond / 2);

      // The sink's peak memory through S2 and S4, before S13's replays.
      const sinkRss = peakRssMb(sink.pid);
      // S13: a replay of the stream's first REPLAY_RECORDS records over stored rows, alone and beside an open loop with the sink running:
      // at half of S2's end-to-end rate, what gateway and sink sustain together (half of S1's, S3's, is more than both can on two cores).
      const replayRecords = Math.min(REPLAY_RECORDS, await lastSeq());
      const liveRate = Math.round(RECORDS / s2.seconds / 2);
      console.log(`S13 replay of ${replayRecords} records over stored rows, alone and beside ${liveRate} records/s open loop`);
      const s13 = await measureReplay({
        gatewayUrl: `http://127.0.0.1:${gatewayHttp}`,
        adminKey,
        sinkPid: sink.pid,
        records: replayRecords,
        liveRate,
        live: async (run) => {
          const result = await load({ mode: 'open', batch: 100, concurrency: 0, rate: liveRate, run, from: 0, to: liveRate * S3_SECONDS });
          return { p99: result.latencyMs.p99, recordsPerSecond: result.recordsPerSecond };
        },
        caughtUp,
      });

      const chdbVersion = (await query<{ v: string }>('SELECT version() AS v')).v;
      // S3 measures the gateway as S1 did, alone: the sink would take a core of the two.
      await sink.stop();
      console.log(`S3 latency: ${rate} records/s open loop for ${S3_SECONDS} s, sink stopped`);
      const s3 = await load({ mode: 'open', batch: 100, concurrency: 0, rate, run: 's3', from: 0, to: rate * S3_SECONDS });

      // S6: S3 again, while a noisy source sends at twice its cap on the same gateway.
      const noisyCap = NOISY_CAP;
      console.log(`S6 latency beside a noisy source: ${rate}/s for source "bench", ${2 * noisyCap}/s for "noisy" capped at ${noisyCap}/s`);
      const [s6, s6Noisy] = await Promise.all([
        load({ mode: 'open', batch: 100, concurrency: 0, rate, run: 's6', from: 0, to: rate * S3_SECONDS }),
        load({ mode: 'open', batch: 100, concurrency: 0, rate: 2 * noisyCap, run: 's6noisy', from: 0, to: 2 * noisyCap * S3_SECONDS, countRefusals: true }, noisyKey),
      ]);

      // S7: S1's best mode on the same gateway, first as it is (the control), then with SUPPRESSED_IDS suppressed ids in the ledger that no record names.
      const gatewayRss = peakRssMb(gateway.pid);
      const gatewayRun = async (run: string) => {
        const meter = cpuMeter({ gateway: gateway.pid });
        const result = await load({ ...bestMode, run, from: 0, to: RECORDS });
        return { ...result, gatewayPerMillion: perMillion(meter.done().gateway, RECORDS) };
      };
      console.log(`S7 control: ${bestName}, an empty ledger`);
      const s7Control = await gatewayRun('s7c');
      console.log(`S7: ${SUPPRESSED_IDS} suppressed ids into the ledger`);
      const fillStart = performance.now();
      for (let from = 0; from < SUPPRESSED_IDS; from += SUBJECTS_PER_REQUEST) {
        const subjects = Array.from({ length: SUBJECTS_PER_REQUEST }, (_, i) => ({ userId: `suppressed-${from + i}@example.com` }));
        const response = await fetch(`http://127.0.0.1:${gatewayHttp}/tributary.admin.v1.AdminService/CreateRegulation`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
          body: JSON.stringify({ type: 'REGULATION_TYPE_SUPPRESS', subjects, expandIdentity: false }),
        });
        if (!response.ok) throw new Error(`CreateRegulation answered ${response.status}: ${await response.text()}`);
      }
      const fillSeconds = (performance.now() - fillStart) / 1000;
      console.log(`S7 ingest: ${bestName}, ${SUPPRESSED_IDS} suppressed ids in the ledger`);
      const s7 = await gatewayRun('s7');
      const s7Rss = peakRssMb(gateway.pid);

      // S5: S1's best mode against a gateway that serves TLS, on the same port after the plain one stops.
      const gatewayPerMillionPlain = perMillion(s1[bestName].cpu.gateway, RECORDS);
      await gateway.stop();
      const certs = makeCertificates();
      const ca = readFileSync(certs.caCert);
      const tlsGateway = startRole('gateway', {
        ...gatewayEnv,
        TRIBUTARY_TLS_CERT_FILE: certs.serverCert,
        TRIBUTARY_TLS_KEY_FILE: certs.serverKey,
      });
      services.push(tlsGateway);
      await waitFor('the TLS gateway', async () => ((await httpsOk(`https://127.0.0.1:${gatewayHttp}/readyz`, ca)) ? true : undefined), 60_000, POLL_MS);
      console.log(`S5 ingest over TLS: ${bestName}`);
      const s5Meter = cpuMeter({ gateway: tlsGateway.pid, nats: natsPid });
      const s5Load = await load({ ...bestMode, run: 's5', from: 0, to: RECORDS, tlsCaFile: certs.caCert });
      const s5 = { ...s5Load, cpu: s5Meter.done() };
      const s5Rss = peakRssMb(tlsGateway.pid);
      certs.remove();
      await tlsGateway.stop();

      // S8: S1's best mode from a source whose consent policy needs an accept, on a gateway whose ledger holds CONSENT_DECISIONS
      // decisions (the accepts of every id the record mix names, and made-up ids); first from a source without a policy (the control).
      console.log(`S8: ${CONSENT_DECISIONS} consent decisions into the ledger`);
      const mixIds = Array.from({ length: MIX_PROFILES }, (_, i) => [`prof_${i + 1}`, `prof_${i + 1}@example.com`]).flat();
      const consentFillSeconds = await fillConsent(jsm, `${STREAM}_POLICY`, mixIds, CONSENT_DECISIONS, CONSENT_CATEGORY);
      // S7's suppressions leave the ledger, so that S8 weighs consent alone against the plain S1.
      await jsm.streams.purge(`KV_${STREAM}_POLICY`, { filter: `$KV.${STREAM}_POLICY.suppress.>` });
      const gatedKey = `${apiKey}-gated`;
      writeFileSync(sourcesFile, JSON.stringify({ sources: { gated: { consent: { mode: 'opt_in', categories: [CONSENT_CATEGORY] } } } }));
      const s8Started = performance.now();
      const s8Gateway = startRole('gateway', { ...gatewayEnv, TRIBUTARY_API_KEYS: `${keys},${gatedKey}=gated` });
      services.push(s8Gateway);
      const s8StartSeconds = await gatewayReady(s8Started);
      const ledgerGauge = (name: string) => metricValue(`http://127.0.0.1:${gatewayHttp}`, name);
      const s8Ledger = { suppressed: await ledgerGauge('tributary_policy_suppressed_ids'), consent: await ledgerGauge('tributary_policy_consent_ids') };
      if (s8Ledger.suppressed !== 0 || s8Ledger.consent !== CONSENT_DECISIONS) throw new Error(`S8's gateway holds ${JSON.stringify(s8Ledger)}, not ${CONSENT_DECISIONS} decisions alone`);
      const s8Run = async (run: string, key: string) => {
        console.log(`S8 ingest: ${bestName}, ${key === apiKey ? 'the control (no policy)' : 'the gated source'}`);
        const meter = cpuMeter({ gateway: s8Gateway.pid });
        const result = await load({ ...bestMode, run, from: 0, to: RECORDS }, key);
        return { ...result, gatewayPerMillion: perMillion(meter.done().gateway, RECORDS) };
      };
      const s8Control = await s8Run('s8c', apiKey);
      const s8 = await s8Run('s8', gatedKey);
      const s8Rss = peakRssMb(s8Gateway.pid);
      await s8Gateway.stop();

      // S9, S10 and S12 each measure fresh gateways: one started with `env` over the gateway's settings, warmed with
      // WARM_RECORDS valid records from `key` (what a scenario measures is not the JIT's first compiles; valid, so that a
      // flood's rejection samples are not spent before it is measured), at rest again, then measured over S1's best mode.
      // The gateway runs on one CPU, the load generator and nats-server kept off it (suite/cpu-pinning.ts).
      /** How the fresh gateways ran, for the goals' figures. */
      const freshGateways = cpuSet === undefined ? 'each gateway on the CPUs the load shared' : `each gateway on CPU ${cpuSet.gateway}, load and nats-server kept on ${cpuSet.rest}`;
      const freshGatewayRun = async (env: NodeJS.ProcessEnv, key: string, run: string, invalid = false) => {
        const started = performance.now();
        const role = startRole('gateway', { ...gatewayEnv, ...env });
        services.push(role);
        // Pinned once it is ready: its start reads S8's million consent decisions from nats-server, which, each of
        // the two kept to one CPU, did not always finish within the start's bound (2026-12-05).
        await gatewayReady(started);
        if (cpuSet !== undefined) {
          pinProcess(role.pid, cpuSet.gateway);
          pinProcess(natsPid, cpuSet.rest);
        }
        try {
          await load({ ...bestMode, run: `${run}w`, from: 0, to: WARM_RECORDS }, key, cpuSet?.rest);
          await waitFor('the warmed gateway at rest', async () => ((await atRest(role.pid)) ? true : undefined), 30_000, POLL_MS);
          const meter = cpuMeter({ gateway: role.pid });
          const result = await load({ ...bestMode, run, from: 0, to: RECORDS, invalid }, key, cpuSet?.rest);
          const figures = { ...result, gatewayPerMillion: perMillion(meter.done().gateway, RECORDS), gatewayRssMb: peakRssMb(role.pid) };
          await role.stop();
          return figures;
        } finally {
          // Should nats-server be gone (why a run failed, maybe), its error is the one to see, not this one's.
          if (cpuSet !== undefined) {
            try {
              pinProcess(natsPid, cpuSet.all);
            } catch (error) {
              console.error(`nats-server could not be given all CPUs back: ${(error as Error).message}`);
            }
          }
        }
      };

      // S9: what accounting costs the gateway: S1's best mode with TRIBUTARY_ACCOUNTING off and on, in S9_PAIRS pairs (a fresh
      // gateway each run), judged by the median of the pairs' ratios (a pair shares the machine's mood of the moment);
      // S10: a flood of records that are all invalid, accounting and samples on, against S9's valid ones.
      const accountingRun = async (accounting: boolean, run: string, invalid = false) => {
        console.log(`${invalid ? 'S10 flood of invalid records' : 'S9 ingest'}: ${bestName}, accounting ${accounting ? 'on' : 'off'}`);
        return freshGatewayRun({ TRIBUTARY_ACCOUNTING: String(accounting) }, apiKey, run, invalid);
      };
      type GatewayRun = Awaited<ReturnType<typeof freshGatewayRun>>;
      const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
      /** Fresh-gateway runs' median gateway CPU per record, and their highest peak RSS. */
      const cpuMedian = (runs: readonly GatewayRun[]) => median(runs.map((r) => r.gatewayPerMillion));
      const peakRss = (runs: readonly GatewayRun[]) => Math.max(...runs.map((r) => r.gatewayRssMb));
      /** The median of pairs' ratios of gateway CPU per record, `treated` over `base` run for run (a pair shares the machine's mood of the moment). */
      const pairRatio = (base: readonly GatewayRun[], treated: readonly GatewayRun[]) => round(median(treated.map((r, i) => r.gatewayPerMillion / base[i].gatewayPerMillion)));
      /**
       * `pairs` pairs of runs, one of `base` and one of `treated` each, the pair's first run alternating between them (a
       * machine that drifts over a pair, or a run that leaves the next one a warmer or fuller server, favours neither).
       */
      const pairedRuns = async <T>(pairs: number, base: (pass: number) => Promise<T>, treated: (pass: number) => Promise<T>) => {
        const runs: { base: T[]; treated: T[] } = { base: [], treated: [] };
        for (let pass = 1; pass <= pairs; pass++) {
          if (pass % 2 === 1) runs.base.push(await base(pass));
          runs.treated.push(await treated(pass));
          if (pass % 2 === 0) runs.base.push(await base(pass));
        }
        return runs;
      };
      const s9Paired = await pairedRuns(
        S9_PAIRS,
        (pass) => accountingRun(false, `s9off${pass}`),
        (pass) => accountingRun(true, `s9on${pass}`),
      );
      const s9Runs = { off: s9Paired.base, on: s9Paired.treated };
      const s9 = {
        off: cpuMedian(s9Runs.off),
        on: cpuMedian(s9Runs.on),
        ratio: pairRatio(s9Runs.off, s9Runs.on),
        onRssMb: peakRss(s9Runs.on),
        offRssMb: peakRss(s9Runs.off),
      };
      const s10 = await accountingRun(true, 's10', true);

      // S11: what `sync_interval: always` costs: S1's best mode against nats-server 2.10 (Debian bookworm's 2.9 has no such
      // setting) with its default sync (every 2 minutes) and with sync always, in S11_PAIRS pairs, each run on a fresh server and gateway.
      const binary210 = natsServer210();
      const syncRun = async (sync: '' | 'always', run: string) => {
        console.log(`S11 ingest: ${bestName}, nats-server 2.10, sync ${sync === '' ? 'default' : sync}`);
        const conf = join(dir, `${run}.conf`);
        writeFileSync(conf, syncConfig(sync));
        const server = new NatsServerProcess(0, join(dir, run), binary210, undefined, ['-c', conf]);
        await server.resume();
        try {
          const started = performance.now();
          const role = startRole('gateway', { ...gatewayEnv, NATS_URL: server.url });
          services.push(role);
          await gatewayReady(started);
          const meter = cpuMeter({ gateway: role.pid, nats: server.pid ?? 0 });
          const result = await load({ ...bestMode, run, from: 0, to: RECORDS });
          const cpu = meter.done();
          await role.stop();
          return { ...result, gatewayPerMillion: perMillion(cpu.gateway, RECORDS), natsPerMillion: perMillion(cpu.nats, RECORDS) };
        } finally {
          await server.pause();
        }
      };
      const s11Paired = await pairedRuns(
        S11_PAIRS,
        (pass) => syncRun('', `s11d${pass}`),
        (pass) => syncRun('always', `s11a${pass}`),
      );
      const s11Runs = { byDefault: s11Paired.base, always: s11Paired.treated };
      const s11Median = (runs: readonly Awaited<ReturnType<typeof syncRun>>[], pick: (r: Awaited<ReturnType<typeof syncRun>>) => number) => median(runs.map(pick));
      const s11 = {
        byDefault: {
          recordsPerSecond: s11Median(s11Runs.byDefault, (r) => r.recordsPerSecond),
          p99Ms: s11Median(s11Runs.byDefault, (r) => r.latencyMs.p99),
          natsPerMillion: s11Median(s11Runs.byDefault, (r) => r.natsPerMillion),
        },
        always: {
          recordsPerSecond: s11Median(s11Runs.always, (r) => r.recordsPerSecond),
          p99Ms: s11Median(s11Runs.always, (r) => r.latencyMs.p99),
          natsPerMillion: s11Median(s11Runs.always, (r) => r.natsPerMillion),
        },
        rateRatio: round(median(s11Runs.always.map((r, i) => r.recordsPerSecond / s11Runs.byDefault[i].recordsPerSecond))),
      };

      // S12: what a tracking plan costs the gateway: S1's best mode from a source whose plan of S12_EVENTS events (block mode)
      // every record passes, against a gateway whose sources file names no plan at all (the control), in S12_PAIRS pairs
      // of fresh gateways.
      const planFile = join(dir, 'plan.json');
      writeFileSync(planFile, JSON.stringify(mixPlan(S12_EVENTS)));
      const plannedKey = `${apiKey}-planned`;
      const planRun = async (planned: boolean, run: string) => {
        console.log(`S12 ingest: ${bestName}, ${planned ? `a plan of ${S12_EVENTS} events, block mode` : 'the control (no plan in the sources file)'}`);
        writeFileSync(sourcesFile, JSON.stringify({ sources: planned ? { planned: { plan: { file: planFile, mode: 'block' } } } : {} }));
        return freshGatewayRun({ TRIBUTARY_API_KEYS: `${keys},${plannedKey}=planned` }, planned ? plannedKey : apiKey, run);
      };
      const s12Paired = await pairedRuns(
        S12_PAIRS,
        (pass) => planRun(false, `s12c${pass}`),
        (pass) => planRun(true, `s12p${pass}`),
      );
      const s12Runs = { control: s12Paired.base, planned: s12Paired.treated };
      const s12 = {
        control: cpuMedian(s12Runs.control),
        planned: cpuMedian(s12Runs.planned),
        ratio: pairRatio(s12Runs.control, s12Runs.planned),
        recordsPerSecond: median(s12Runs.planned.map((r) => r.recordsPerSecond)),
        p99Ms: median(s12Runs.planned.map((r) => r.latencyMs.p99)),
        statuses: s12Runs.planned.flatMap((r) => Object.keys(r.statuses)),
        controlRssMb: peakRss(s12Runs.control),
        plannedRssMb: peakRss(s12Runs.planned),
      };

      const natsRss = peakRssMb(natsPid);
      const s1Records = RECORDS * modes.length;
      const s1Cpu = (name: string) => Object.values(s1).reduce((sum, r) => sum + (r.cpu[name] ?? 0), 0);
      const drainRate = Math.round(inStream / drain.seconds);
      const s2Rate = Math.round(RECORDS / s2.seconds);
      const ratios = { 'S1/B1': round(best.recordsPerSecond / b1.recordsPerSecond), 'S2/B1': round(s2Rate / b1.recordsPerSecond), 'sink/B2': round(drainRate / b2.rowsPerSecond) };
      const sinkPerMillion = perMillion(drain.cpu.sink + s2.cpu.sink, inStream + RECORDS);
      const goals: Goal[] = [
        { goal: 'S1 ≥ 0.6 × B1', value: String(ratios['S1/B1']), met: ratios['S1/B1'] >= 0.6 },
        { goal: 'S2 ≥ 0.25 × B1', value: String(ratios['S2/B1']), met: ratios['S2/B1'] >= 0.25 },
        { goal: 'sink ≤ 60 CPU s per million records', value: String(sinkPerMillion), met: sinkPerMillion <= 60 },
        { goal: 'sink drain ≥ 0.7 × B2', value: String(ratios['sink/B2']), met: ratios['sink/B2'] >= 0.7 },
        { goal: 'p99 ack latency at 50% load ≤ 25 ms', value: `${s3.latencyMs.p99} ms`, met: s3.latencyMs.p99 <= 25 },
        { goal: 'S4 adds 0 rows', value: `${added.final} with FINAL, ${added.raw} without`, met: added.final === 0 && added.raw === 0 },
        { goal: 'gateway RSS ≤ 300 MB', value: `${gatewayRss} MB`, met: gatewayRss <= 300 },
        {
          goal: 'S9 gateway CPU per record with accounting and samples on ≤ 1.05 × off',
          value: `${s9.ratio} (the median of ${S9_PAIRS} pairs' ratios; medians ${s9.on} against ${s9.off} CPU-s per million; ${freshGateways})`,
          met: s9.ratio <= 1.05,
        },
        {
          goal: 'S10 gateway CPU per record of a flood of invalid records ≤ per valid record (S9, accounting on)',
          value: `${round(s10.gatewayPerMillion / s9.on)} (${s10.gatewayPerMillion} against ${s9.on} CPU-s per million; ${JSON.stringify(s10.statuses)}; ${freshGateways})`,
          met: s10.gatewayPerMillion <= s9.on && Object.keys(s10.statuses).every((status) => status === 'REJECTED'),
        },
        {
          goal: `S7 gateway CPU per record with ${SUPPRESSED_IDS} suppressed ids ≤ 1.1 × without`,
          value: `${round(s7.gatewayPerMillion / s7Control.gatewayPerMillion)} (${s7.gatewayPerMillion} against ${s7Control.gatewayPerMillion} CPU-s per million)`,
          met: s7.gatewayPerMillion <= 1.1 * s7Control.gatewayPerMillion,
        },
        { goal: `S7 gateway RSS with ${SUPPRESSED_IDS} suppressed ids ≤ 300 MB`, value: `${s7Rss} MB`, met: s7Rss <= 300 },
        {
          goal: `S8 gateway CPU per record, consent policy on and ${CONSENT_DECISIONS} decisions, ≤ 1.15 × plain S1`,
          value: `${round(s8.gatewayPerMillion / gatewayPerMillionPlain)} (${s8.gatewayPerMillion} against ${gatewayPerMillionPlain} CPU-s per million; the S8 control: ${s8Control.gatewayPerMillion})`,
          met: s8.gatewayPerMillion <= 1.15 * gatewayPerMillionPlain,
        },
        { goal: `S8 gateway RSS with ${CONSENT_DECISIONS} decisions ≤ 400 MB (its peak, the ledger's loading included)`, value: `${s8Rss} MB`, met: s8Rss <= 400 },
        { goal: 'S8 drops no record of a person who accepted', value: JSON.stringify(s8.statuses), met: Object.keys(s8.statuses).every((status) => status === 'ACCEPTED') },
        {
          goal: `S12 gateway CPU per record with a plan of ${S12_EVENTS} events in block mode ≤ 1.2 × plain S1, every record passing`,
          value: `${s12.ratio} (the median of ${S12_PAIRS} pairs' ratios to the control, a fresh gateway without a plan, each gateway warmed with ${WARM_RECORDS} records first, ${freshGateways}; medians ${s12.planned} against ${s12.control} CPU-s per million; statuses ${[...new Set(s12.statuses)].join(', ')})`,
          met: s12.ratio <= 1.2 && s12.statuses.every((status) => status === 'ACCEPTED'),
        },
      ];
      const row = (scenario: string, recordsPerSecond: number, extra: { [k: string]: string | number } = {}) => ({ scenario, 'records/s': recordsPerSecond, ...extra });
      const report = {
        ratios,
        goals,
        table: [
          row('B1 raw JetStream (core publish + collected PubAcks)', b1.recordsPerSecond, { note: `${b1.envelopeBytes} B envelopes, batches of 500, 8 in flight` }),
          row('B2 raw ClickHouse insert (TabSeparated, 10,000 rows)', b2.rowsPerSecond),
          ...Object.entries(s1).map(([name, r]) => row(`S1 ${name}`, r.recordsPerSecond, { 'p50 ms': r.latencyMs.p50, 'p99 ms': r.latencyMs.p99 })),
          row(`sink drain (${inStream} records in the stream)`, drainRate),
          row(`S2 end to end (${bestName})`, s2Rate, { 'sink lag: max pending': maxPending, 'rows complete after last ack, s': round(s2.lagAfterLastAckSeconds) }),
          row(`S3 open loop at ${rate}/s`, s3.recordsPerSecond, { 'p50 ms': s3.latencyMs.p50, 'p99 ms': s3.latencyMs.p99, 'p99.9 ms': s3.latencyMs.p999 }),
          row('S4 replay of S2', s4.recordsPerSecond, { statuses: JSON.stringify(s4.statuses), 'rows added': added.final }),
          row(`S13 StartReplay of ${s13.records} records over stored rows, alone`, s13.recordsPerSecond, {
            seconds: s13.seconds,
            'rows stored': s13.stored,
            'sink CPU-s per million replayed': s13.sinkCpuPerMillion,
            [`live p99 ms at ${s13.liveRate}/s (half of S2), sink running, no replay`]: s13.liveP99Ms,
            'live p99 ms with a replay under way': s13.liveP99WithReplayMs,
            'replay records/s beside the live load': s13.recordsPerSecondBesideLive,
            'seconds of the live load with the replay under way': s13.overlapSeconds,
          }),
          row(`S5 S1 over TLS (${bestName})`, s5.recordsPerSecond, {
            'p50 ms': s5.latencyMs.p50,
            'p99 ms': s5.latencyMs.p99,
            'gateway CPU-s per million': perMillion(s5.cpu.gateway, RECORDS),
            'plain (S1)': gatewayPerMillionPlain,
          }),
          row(`S7 control: S1 ${bestName} again, empty ledger`, s7Control.recordsPerSecond, { 'p99 ms': s7Control.latencyMs.p99, 'gateway CPU-s per million': s7Control.gatewayPerMillion }),
          row(`S7 S1 ${bestName} with ${SUPPRESSED_IDS} suppressed ids`, s7.recordsPerSecond, {
            'p99 ms': s7.latencyMs.p99,
            'gateway CPU-s per million': s7.gatewayPerMillion,
            'ledger filled in, s': round(fillSeconds, 1),
            statuses: JSON.stringify(s7.statuses),
          }),
          row(`S8 control: S1 ${bestName} from a source without a policy, ${CONSENT_DECISIONS} decisions in the ledger`, s8Control.recordsPerSecond, {
            'p99 ms': s8Control.latencyMs.p99,
            'gateway CPU-s per million': s8Control.gatewayPerMillion,
            'ledger filled in, s': round(consentFillSeconds, 1),
            'gateway start to ready, s': s8StartSeconds,
            'with an empty ledger, s': gatewayStartSeconds,
          }),
          row(`S8 S1 ${bestName} from a source with an opt-in consent policy`, s8.recordsPerSecond, {
            'p99 ms': s8.latencyMs.p99,
            'gateway CPU-s per million': s8.gatewayPerMillion,
            statuses: JSON.stringify(s8.statuses),
          }),
          row(`S11 S1 ${bestName} on nats-server 2.10, default sync (median of ${S11_PAIRS})`, s11.byDefault.recordsPerSecond, {
            'p99 ms': s11.byDefault.p99Ms,
            'nats-server CPU-s per million': s11.byDefault.natsPerMillion,
          }),
          row(`S11 S1 ${bestName} on nats-server 2.10, sync_interval: always (median of ${S11_PAIRS})`, s11.always.recordsPerSecond, {
            'p99 ms': s11.always.p99Ms,
            'nats-server CPU-s per million': s11.always.natsPerMillion,
            'rate against default (median of pairs)': s11.rateRatio,
          }),
          row(`S12 S1 ${bestName} from a source with a plan of ${S12_EVENTS} events, block mode (median of ${S12_PAIRS})`, s12.recordsPerSecond, {
            'p99 ms': s12.p99Ms,
            'gateway CPU-s per million': s12.planned,
            'control without a plan': s12.control,
          }),
          row(`S6 open loop at ${rate}/s beside "noisy" at ${2 * noisyCap}/s, capped at ${noisyCap}/s`, s6.recordsPerSecond, {
            'p50 ms': s6.latencyMs.p50,
            'p99 ms': s6.latencyMs.p99,
            'p99.9 ms': s6.latencyMs.p999,
            'S3 p99 alone': s3.latencyMs.p99,
            noisy: JSON.stringify(s6Noisy.statuses),
          }),
        ],
        processes: {
          gateway: { cpuSecondsPerMillion: perMillion(s1Cpu('gateway') + s2.cpu.gateway, s1Records + RECORDS), peakRssMb: gatewayRss },
          '· gateway, S1 best mode, plain': { cpuSecondsPerMillion: gatewayPerMillionPlain, peakRssMb: gatewayRss },
          '· gateway, S7 control (empty ledger)': { cpuSecondsPerMillion: s7Control.gatewayPerMillion, peakRssMb: gatewayRss },
          [`· gateway, S7 (${SUPPRESSED_IDS} suppressed ids)`]: { cpuSecondsPerMillion: s7.gatewayPerMillion, peakRssMb: s7Rss },
          '· gateway, S1 best mode, over TLS (S5)': { cpuSecondsPerMillion: perMillion(s5.cpu.gateway, RECORDS), peakRssMb: s5Rss },
          [`· gateway, S8 control (${CONSENT_DECISIONS} decisions, no policy)`]: { cpuSecondsPerMillion: s8Control.gatewayPerMillion, peakRssMb: s8Rss },
          [`· gateway, S8 (consent policy on, ${CONSENT_DECISIONS} decisions)`]: { cpuSecondsPerMillion: s8.gatewayPerMillion, peakRssMb: s8Rss },
          '· gateway, S9 accounting off': { cpuSecondsPerMillion: s9.off, peakRssMb: s9.offRssMb },
          '· gateway, S9 accounting on': { cpuSecondsPerMillion: s9.on, peakRssMb: s9.onRssMb },
          '· gateway, S10 all records invalid': { cpuSecondsPerMillion: s10.gatewayPerMillion, peakRssMb: s10.gatewayRssMb },
          '· gateway, S12 control (no plan)': { cpuSecondsPerMillion: s12.control, peakRssMb: s12.controlRssMb },
          [`· gateway, S12 (a plan of ${S12_EVENTS} events, block)`]: { cpuSecondsPerMillion: s12.planned, peakRssMb: s12.plannedRssMb },
          'sink (sink and identity stages)': { cpuSecondsPerMillion: sinkPerMillion, peakRssMb: sinkRss },
          '· sink stage alone': { cpuSecondsPerMillion: perMillion(stages.sink.stageCpuSeconds, stages.sink.records), peakRssMb: stages.sink.peakRssMb },
          '· identity stage alone': { cpuSecondsPerMillion: perMillion(stages.identity.stageCpuSeconds, stages.identity.records), peakRssMb: stages.identity.peakRssMb },
          'nats-server': { cpuSecondsPerMillion: perMillion(s1Cpu('nats') + s2.cpu.nats, s1Records + RECORDS), peakRssMb: natsRss },
          'load generator': {
            cpuSecondsPerMillion: perMillion(
              Object.values(s1).reduce((s, r) => s + r.cpuSeconds, 0),
              s1Records,
            ),
            peakRssMb: Math.max(...Object.values(s1).map((r) => r.peakRssMb)),
          },
          '· while sending (records made and encoded beforehand)': {
            cpuSecondsPerMillion: perMillion(
              Object.values(s1).reduce((s, r) => s + r.sendingCpuSeconds, 0),
              s1Records,
            ),
            peakRssMb: Math.max(...Object.values(s1).map((r) => r.peakRssMb)),
          },
        },
        machine: {
          cpus: cpus().length,
          model: cpus()[0]?.model,
          memoryGiB: Math.round(totalmem() / 2 ** 30),
          node: process.version,
          natsServer: execFileSync(binary, ['--version']).toString().trim(),
          clickhouse: `chDB ${chdbVersion}`,
          recordsPerScenario: RECORDS,
          gatewayNodeOptions: GATEWAY_NODE_OPTIONS,
        },
        raw: {
          b1,
          b2,
          s1,
          drain: { ...drain, records: inStream },
          stages,
          s2,
          s3,
          s4,
          s5,
          s6,
          s6Noisy,
          s7Control,
          s7: { ...s7, fillSeconds },
          s8Control,
          s8: { ...s8, consentFillSeconds, s8StartSeconds, gatewayStartSeconds },
          s9: { ...s9, runs: s9Runs },
          s10,
          s11: { ...s11, runs: s11Runs },
          s12: { ...s12, runs: s12Runs },
          countsBefore: before,
          countsAfter: after,
          expected,
        },
        throughput: [
          { label: 'B1 raw JetStream', value: b1.recordsPerSecond },
          ...Object.entries(s1).map(([name, r]) => ({ label: `S1 ${name.replace('batches of ', '')}`, value: r.recordsPerSecond })),
          { label: 'S2 end to end', value: s2Rate },
          { label: 'B2 raw ClickHouse', value: b2.rowsPerSecond },
          { label: 'sink drain', value: drainRate },
          { label: 'S4 replay', value: s4.recordsPerSecond },
        ],
        latency: [
          ...Object.entries(s1).flatMap(([name, r]) => [{ label: `S1 ${name.replace('batches of ', '')} p99`, value: r.latencyMs.p99 }]),
          { label: 'S3 p50', value: s3.latencyMs.p50 },
          { label: 'S3 p99', value: s3.latencyMs.p99 },
          { label: 'S3 p99.9', value: s3.latencyMs.p999 },
          { label: 'S6 p99 (beside a capped source)', value: s6.latencyMs.p99 },
          { label: 'S5 p99 (TLS)', value: s5.latencyMs.p99 },
        ],
      };
      const written = await writeReport(report, join(__dirname, '..', '..', 'bench', 'results'), started);
      console.table(report.table);
      console.table(goals);
      console.log(`wrote ${written.join(', ')}`);
    },
    () => stack.close(),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
