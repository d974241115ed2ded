/**
 * `make bench-erasure`: the time to erase one person with 100,000 events
 * among 1,000,000 (BENCH_ERASURE_RECORDS), through a real gateway and sink
 * (embedded ClickHouse) on a nats-server of its own, and what the erasure
 * costs the sink while it runs: the sink's rate under a steady background
 * load of other people's records, before and during the erasure. Writes
 * bench/results/erasure-<stamp>.md and .json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { credentials, Metadata } from '@grpc/grpc-js';
import { IngestServiceClient, type IngestResponse } from '../src/gen/tributary/ingest/v1/ingest_service';
import { Record } from '../src/gen/tributary/ingest/v1/record';
import { waitFor } from '../test/helpers/wait';
import { regulate } from '../test/helpers/privacy-calls';
import { benchStack } from './suite/bench-stack';
import { startRole, withServices } from './suite/processes';

const RECORDS = Number(process.env.BENCH_ERASURE_RECORDS ?? 1_000_000);
/** One record in this many is the person's. */
const PERSON_EVERY = 10;
const BATCH = 500;
const CONCURRENCY = 4;
/** Records a second of other people while the sink's rate is measured. */
const BACKGROUND_RATE = 4000;
const WINDOW_MS = 10_000;
const STREAM = 'ERASURE';
const EMAIL = 'erase-me@example.com';

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Record `i`: the person's one in PERSON_EVERY, otherwise one of 50,000 other profiles. */
function record(run: string, i: number): Record {
  const person = i % PERSON_EVERY === 0;
  return Record.fromPartial({
    eventId: `${run}-${i}`,
    timestamp: new Date(Date.now() - (i % 86_400) * 1000),
    kind: {
      $case: 'event',
      value: {
        profileId: person ? 'erase-me-phone' : `p-${i % 50_000}`,
        userId: person ? EMAIL : '',
        call: { $case: 'track', value: { name: 'Viewed', data: { page: `/item/${i % 977}`, price: i % 100 } } },
      },
    },
  });
}

async function main(): Promise<void> {
  const stack = await benchStack('erasure');
  const { stamp, dir, nats, apiKey, adminKey, grpcPort, gatewayHttp, sinkHttp, jsm } = stack;
  const common = { NATS_URL: nats.url, TRIBUTARY_STREAM: STREAM, TRIBUTARY_SUBJECT_PREFIX: 'erasure', TRIBUTARY_LOG_LEVEL: 'warn', TRIBUTARY_ADMIN_KEY: adminKey };
  await withServices(
    async (services) => {
      // The sink at info, for the erasure's step timings ("regulation finished").
      const sink = startRole('sink', { ...common, TRIBUTARY_LOG_LEVEL: 'info', TRIBUTARY_DATA_DIR: join(dir, 'sink'), TRIBUTARY_HTTP_ADDR: `127.0.0.1:${sinkHttp}` });
      services.push(sink);
      services.push(startRole('gateway', { ...common, TRIBUTARY_GRPC_ADDR: `127.0.0.1:${grpcPort}`, TRIBUTARY_HTTP_ADDR: `127.0.0.1:${gatewayHttp}`, TRIBUTARY_API_KEYS: `${apiKey}=bench` }));
      for (const port of [sinkHttp, gatewayHttp]) await waitFor('the roles', async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok ? true : undefined), 60_000, 100);
      const client = new IngestServiceClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${apiKey}`);
      const send = (records: Record[]) =>
        new Promise<IngestResponse>((resolve, reject) => client.ingest({ records }, metadata, (error, response) => (error === null ? resolve(response) : reject(error))));

      console.log(`loading ${RECORDS} records, one in ${PERSON_EVERY} the person's`);
      const loadStart = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < RECORDS) {
            const from = next;
            next += BATCH;
            await send(Array.from({ length: Math.min(BATCH, RECORDS - from) }, (_, j) => record('load', from + j)));
          }
        }),
      );
      const ackFloor = async () => (await jsm.consumers.info(STREAM, 'tributary-sink')).ack_floor.stream_seq;
      const last = (await jsm.streams.info(STREAM)).state.last_seq;
      await waitFor('the sink to store the load', async () => ((await ackFloor()) >= last ? true : undefined), 900_000, 500);
      const loadSeconds = (performance.now() - loadStart) / 1000;

      // Other people's records at a steady rate from now on, so the sink's rate can be read before and during the erasure.
      let background = true;
      let sent = 0;
      const backgroundLoad = (async () => {
        const started = performance.now();
        while (background) {
          const due = Math.floor(((performance.now() - started) / 1000) * BACKGROUND_RATE);
          if (sent < due) {
            const count = Math.min(BATCH, due - sent);
            const records = Array.from({ length: count }, (_, j) => record('bg', RECORDS + ((sent + j) * PERSON_EVERY + 1)));
            sent += count;
            await send(records);
          } else await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const rateOver = async (ms: number, until?: Promise<unknown>) => {
        const [from, t0] = [await ackFloor(), performance.now()];
        await (until ?? new Promise((resolve) => setTimeout(resolve, ms)));
        return ((await ackFloor()) - from) / ((performance.now() - t0) / 1000);
      };
      const before = await rateOver(WINDOW_MS);

      console.log(`erasing ${EMAIL}`);
      const eraseStart = performance.now();
      const erasing = regulate(`http://127.0.0.1:${gatewayHttp}`, adminKey, { type: 'REGULATION_TYPE_DELETE', subjects: [{ email: EMAIL }] }, 1_800_000);
      const during = await rateOver(0, erasing);
      const regulation = await erasing;
      const eraseSeconds = (performance.now() - eraseStart) / 1000;
      background = false;
      await backgroundLoad;
      client.close();

      const finishedLine = sink
        .output()
        .split('\n')
        .find((line) => line.includes('"msg":"regulation finished"'));
      const stepsMs = finishedLine === undefined ? {} : (JSON.parse(finishedLine) as { stepsMs: { [step: string]: number } }).stepsMs;
      const report = {
        records: RECORDS,
        stepsMs,
        personEvents: Math.ceil(RECORDS / PERSON_EVERY),
        loadSeconds: round(loadSeconds),
        erasure: { seconds: round(eraseSeconds), status: regulation.status, erased: regulation.erased },
        sinkRecordsPerSecond: { backgroundOffered: BACKGROUND_RATE, beforeErasure: Math.round(before), duringErasure: Math.round(during) },
      };
      const rows = (regulation.erased?.rowsDeleted ?? []).map((t) => `${t.table} ${t.rows ?? 0}`).join(', ');
      const markdown = [
        `# Erasure benchmark ${stamp}`,
        '',
        `One person with ${report.personEvents} events among ${RECORDS}, erased with a DELETE by email through a gateway and a sink (embedded ClickHouse).`,
        '',
        '| figure | value |',
        '| --- | --- |',
        `| load and store ${RECORDS} records | ${report.loadSeconds} s |`,
        `| erasure, from the request to FINISHED | ${report.erasure.seconds} s |`,
        `| removed | ${rows}; stream messages ${regulation.erased?.streamMessagesErased ?? 0} |`,
        `| sink rate under ${BACKGROUND_RATE}/s of other records, before the erasure | ${report.sinkRecordsPerSecond.beforeErasure}/s |`,
        `| the same, while the erasure ran | ${report.sinkRecordsPerSecond.duringErasure}/s |`,
        ...Object.entries(stepsMs).map(([step, ms]) => `| step: ${step} | ${round(ms / 1000)} s |`),
        '',
      ].join('\n');
      const base = join(__dirname, '..', '..', 'bench', 'results', `erasure-${stamp}`);
      writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(`${base}.md`, markdown);
      console.log(markdown);
    },
    () => stack.close(),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
