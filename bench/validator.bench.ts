/**
 * Micro-benchmark of the contract: the cost per record of validating a
 * decoded record, and of decoding and validating one from the binary wire by
 * each path (the generated decoder with its payload as objects, and the
 * gateway's, which checks the payload on the wire), for a typical track
 * record (the `track` fixture: context, ten properties, a nested list) and
 * the seed's minimal product. Run with `make bench-validator`; it prints a
 * table and is never a test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Record } from '../src/gen/tributary/ingest/v1/record';
import { decodeRecord, DEFAULT_LIMITS, validateRecord, type ValidationLimits } from '../src/contract';

/** Records per benchmark iteration, so the timer's own cost is spread thin. */
const BATCH = 1000;

const fixture = (name: string): Record => Record.fromJSON(JSON.parse(readFileSync(join(__dirname, '..', '..', 'test', 'fixtures', 'records', 'valid', `${name}.json`), 'utf8')));

async function main(): Promise<void> {
  const { Bench } = await import('tinybench');
  const context = { limits: DEFAULT_LIMITS, nowMs: Date.now(), skewMs: 0 };
  const bench = new Bench({ time: 2000, warmup: true });
  for (const name of ['track', 'product-seed-minimal']) {
    const record = fixture(name);
    const bytes = Record.encode(record).finish();
    if (validateRecord(record, bytes.length, context).length > 0) throw new Error(`the ${name} fixture must be valid`);
    bench.add(`validate ${name}`, () => {
      for (let i = 0; i < BATCH; i++) validateRecord(record, bytes.length, context);
    });
    for (const [path, payloadLimits] of [
      ['objects', undefined],
      ['wire', DEFAULT_LIMITS],
    ] as [string, ValidationLimits | undefined][]) {
      bench.add(`decode and validate ${name} (${bytes.length} B), payload ${path}`, () => {
        for (let i = 0; i < BATCH; i++) {
          const decoded = decodeRecord(bytes, payloadLimits);
          if (!('record' in decoded) || validateRecord(decoded.record, bytes.length, context).length > 0) throw new Error(`the ${name} fixture must be valid`);
        }
      });
    }
  }
  await bench.run();
  console.table(
    bench.tasks.map((task) => {
      if (task.result.state !== 'completed') throw new Error(`${task.name} did not complete`);
      return {
        task: task.name,
        'ns per record (mean)': Math.round((task.result.latency.mean * 1e6) / BATCH),
        'ns per record (p99)': Math.round(((task.result.latency.p99 ?? Number.NaN) * 1e6) / BATCH),
        'records/s': Math.round(task.result.throughput.mean * BATCH),
      };
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
