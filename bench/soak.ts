/**
 * `make soak`: steady load for a long while (SOAK_SECONDS, 600) at a fixed
 * rate (SOAK_RATE records/s, 2000), through a gateway and a sink (embedded
 * ClickHouse) on their own nats-server, as in `make bench`. Every 10 s it
 * samples each process's resident memory and the sink's and identity
 * stage's backlogs; at the end it waits for the sink to catch up, counts
 * what was stored, and writes the curve to bench/results/soak-<time>.{md,json}. Never part of
 * make test.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { postAdminQuery } from '../src/http/admin-query-client';
import { waitFor } from '../test/helpers/wait';
import { benchStack } from './suite/bench-stack';
import type { LoadPlan, LoadResult } from './suite/load-generator';
import { cpuSeconds, rssMb } from './suite/process-stats';
import { runChild, startRole, type Service } from './suite/processes';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const RATE = Number(process.env.SOAK_RATE ?? 2000);
/** The load runs as back-to-back open-loop rounds of this length, each a fresh generator with its own ids (so no generator holds ten minutes of requests). */
const ROUND_SECONDS = 30;
const SAMPLE_MS = 10_000;
const BATCH = 100;

/** One sample of the curve. */
interface Sample {
  readonly seconds: number;
  readonly rssMb: { readonly [process: string]: number };
  readonly sinkPending: number;
  readonly identityPending: number;
}

/** A gauge of the sink's /metrics. */
async function gauge(httpPort: number, name: string): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text());
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? -1 : Number(line.slice(name.length + 1));
}

async function main(): Promise<void> {
  const stack = await benchStack('soak');
  const { stamp, dir, nats, apiKey, adminKey, grpcPort, gatewayHttp, sinkHttp } = stack;
  const common = { NATS_URL: nats.url, TRIBUTARY_LOG_LEVEL: 'warn' };
  const services: Service[] = [];
  try {
    const sink = startRole('sink', { ...common, TRIBUTARY_DATA_DIR: join(dir, 'sink'), TRIBUTARY_HTTP_ADDR: `127.0.0.1:${sinkHttp}`, TRIBUTARY_ADMIN_KEY: adminKey });
    const gateway = startRole('gateway', { ...common, TRIBUTARY_GRPC_ADDR: `127.0.0.1:${grpcPort}`, TRIBUTARY_HTTP_ADDR: `127.0.0.1:${gatewayHttp}`, TRIBUTARY_API_KEYS: `${apiKey}=soak` });
    services.push(gateway, sink);
    for (const port of [sinkHttp, gatewayHttp]) await waitFor('the service', async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok ? true : undefined), 60_000, 100);

    const pids = { gateway: gateway.pid, sink: sink.pid, 'nats-server': nats.pid ?? 0 };
    const cpuAtStart = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
    const started = Date.now();
    const samples: Sample[] = [];
    const sample = async () => {
      samples.push({
        seconds: Math.round((Date.now() - started) / 1000),
        rssMb: Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, rssMb(pid)])),
        sinkPending: await gauge(sinkHttp, 'tributary_sink_consumer_pending'),
        identityPending: await gauge(sinkHttp, 'tributary_identity_consumer_pending'),
      });
      const last = samples[samples.length - 1];
      console.log(`${last.seconds}s: ${JSON.stringify(last.rssMb)} MB, sink pending ${last.sinkPending}, identity pending ${last.identityPending}`);
    };
    await sample();
    const sampler = setInterval(() => void sample(), SAMPLE_MS);

    const rounds: LoadResult[] = [];
    const perRound = RATE * ROUND_SECONDS;
    for (let round = 0; (Date.now() - started) / 1000 + ROUND_SECONDS <= SECONDS + 1; round++) {
      const plan: LoadPlan = { target: `127.0.0.1:${grpcPort}`, apiKey, run: `soak${round}`, from: 0, to: perRound, batch: BATCH, mode: 'open', concurrency: 0, rate: RATE };
      rounds.push(await runChild<LoadResult>('load-generator', plan));
    }
    const loadSeconds = (Date.now() - started) / 1000;
    const cpu = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, Math.round((cpuSeconds(pid) - cpuAtStart[name]) * 100) / 100]));
    await waitFor('the sink to catch up', async () => ((await gauge(sinkHttp, 'tributary_sink_consumer_pending')) === 0 ? true : undefined), 300_000, 500);
    clearInterval(sampler);
    await sample();

    const sent = rounds.reduce((sum, r) => sum + r.records, 0);
    const statuses: { [status: string]: number } = {};
    for (const r of rounds) for (const [name, n] of Object.entries(r.statuses)) statuses[name] = (statuses[name] ?? 0) + n;
    const [stored] = await postAdminQuery<{ events: string; products: string }>(
      `127.0.0.1:${sinkHttp}`,
      adminKey,
      'SELECT (SELECT count() FROM tributary.events FINAL) AS events, (SELECT count() FROM tributary.products FINAL) AS products',
    );
    const p99s = rounds.map((r) => r.latencyMs.p99);
    const result = {
      stamp,
      seconds: Math.round(loadSeconds),
      rate: RATE,
      sent,
      statuses,
      stored: { events: Number(stored.events), products: Number(stored.products) },
      p99MsPerRound: { min: Math.min(...p99s), max: Math.max(...p99s) },
      cpuSecondsPerMillion: Object.fromEntries(Object.entries(cpu).map(([name, s]) => [name, Math.round((s / sent) * 1e6 * 10) / 10])),
      samples,
    };
    const base = join(__dirname, '..', '..', 'bench', 'results', `soak-${stamp}`);
    writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
    const names = Object.keys(pids);
    const markdown = [
      `# Soak ${stamp}`,
      '',
      `${result.seconds} s of steady load at ${RATE} records/s (open loop, batches of ${BATCH}, ${rounds.length} rounds of ${ROUND_SECONDS} s): ${sent} records sent, statuses ${JSON.stringify(statuses)}; stored (FINAL) ${result.stored.events} events and ${result.stored.products} products. p99 per round ${result.p99MsPerRound.min}–${result.p99MsPerRound.max} ms. CPU-s per million records: ${JSON.stringify(result.cpuSecondsPerMillion)}.`,
      '',
      `| s | ${names.map((n) => `${n} RSS MB`).join(' | ')} | sink pending | identity pending |`,
      `|---|${names.map(() => '---').join('|')}|---|---|`,
      ...samples.map((s) => `| ${s.seconds} | ${names.map((n) => s.rssMb[n]).join(' | ')} | ${s.sinkPending} | ${s.identityPending} |`),
      '',
    ].join('\n');
    writeFileSync(`${base}.md`, markdown);
    console.log(`wrote ${base}.md`);
  } finally {
    for (const service of services.reverse()) await service.stop();
    // What the services logged (warnings and worse) belongs with the figures.
    for (const service of services) if (service.output().trim() !== '') console.log(`${service.name} logged:\n${service.output().slice(0, 5000)}`);
    await stack.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
