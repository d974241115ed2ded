/**
 * The load generator, run as its own process by the benchmark: sends the
 * record mix to a gateway over gRPC and prints one JSON line of figures.
 * Requests are encoded before the clock starts, and answers are read off the
 * wire for their statuses alone, so the generator spends its time on the wire. Closed loop (Ingest with a fixed number of calls in
 * flight, or IngestStream with a window) measures capacity; open loop (calls
 * started on a fixed schedule, latency counted from the scheduled time)
 * measures latency at a given rate.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { IngestRequest, IngestServiceService, RecordStatus } from '../../src/gen/tributary/ingest/v1/ingest_service';
import { childMain } from './child-main';
import { recordMix } from './record-mix';
import type { Record } from '../../src/gen/tributary/ingest/v1/record';

/** What to send, and how. */
export interface LoadPlan {
  readonly target: string;
  readonly apiKey: string;
  readonly run: string;
  readonly from: number;
  readonly to: number;
  readonly batch: number;
  /** closed-unary: `concurrency` Ingest calls in flight; stream: one IngestStream, `concurrency` requests unanswered; open: Ingest calls at `rate` records/s. */
  readonly mode: 'closed-unary' | 'stream' | 'open';
  readonly concurrency: number;
  readonly rate?: number;
  /** A CA file (PEM): the gateway is reached over TLS, trusting it. */
  readonly tlsCaFile?: string;
  /** Count a call refused as a whole under `ERROR_<code>` in the statuses, instead of failing the run (a rate-limited source). */
  readonly countRefusals?: boolean;
  /** Send every record of the mix broken (an event without its profile id, a product without its id): a flood of invalid records. */
  readonly invalid?: boolean;
}

/** What the generator measured. */
export interface LoadResult {
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly statuses: { [status: string]: number };
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly p999: number };
  /** The generator's own CPU while sending, without making and encoding the records beforehand. */
  readonly sendingCpuSeconds: number;
}

const passThrough = (bytes: Buffer) => bytes;
/** The per-record statuses of an IngestResponse, read off the wire (field 1 results, each with field 2 status) without building result objects, so the generator spends little on answers. */
function statusesOf(bytes: Buffer): RecordStatus[] {
  const reader = new BinaryReader(bytes);
  const statuses: RecordStatus[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag !== ((1 << 3) | WireType.LengthDelimited)) {
      reader.skip(tag & 7);
      continue;
    }
    const end = reader.uint32() + reader.pos;
    let status = RecordStatus.UNSPECIFIED;
    while (reader.pos < end) {
      const field = reader.uint32();
      if (field === ((2 << 3) | WireType.Varint)) status = reader.int32();
      else reader.skip(field & 7);
    }
    statuses.push(status);
  }
  return statuses;
}

const percentile = (sorted: readonly number[], p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] * 100) / 100;

/**
 * The plan's requests, encoded. The records go out of scope here: kept alive
 * through the run, their millions of small objects made every full GC of the
 * generator a pause of up to a second, which its latencies then showed.
 */
function encodeRequests(plan: LoadPlan): Buffer[] {
  const records = recordMix(plan.from, plan.to, plan.run).map((record) => (plan.invalid === true ? broken(record) : record));
  const requests: Buffer[] = [];
  for (let i = 0; i < records.length; i += plan.batch) requests.push(Buffer.from(IngestRequest.encode({ records: records.slice(i, i + plan.batch), sentAt: new Date() }).finish()));
  return requests;
}

/** `record` with the one field it cannot do without emptied, so that the whole of it is validated and it is REJECTED. */
function broken(record: Record): Record {
  const kind = record.kind;
  if (kind?.$case === 'product') return { ...record, kind: { $case: 'product', value: { ...kind.value, productId: '' } } };
  if (kind?.$case === 'event') return { ...record, kind: { $case: 'event', value: { ...kind.value, profileId: '' } } };
  return record;
}

/** Sends the plan's records and measures. */
async function main(plan: LoadPlan): Promise<LoadResult> {
  const requests = encodeRequests(plan);
  const channel = plan.tlsCaFile === undefined ? credentials.createInsecure() : credentials.createSsl(readFileSync(plan.tlsCaFile));
  const client = new Client(plan.target, channel, { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 });
  await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 10_000, (e) => (e ? reject(e) : resolve())));
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${plan.apiKey}`);
  const statuses: { [status: string]: number } = {};
  const count = (response: RecordStatus[]) => {
    for (const status of response) statuses[RecordStatus[status]] = (statuses[RecordStatus[status]] ?? 0) + 1;
  };
  const unary = (request: Buffer) =>
    new Promise<void>((resolve, reject) =>
      client.makeUnaryRequest(IngestServiceService.ingest.path, passThrough, statusesOf, request, metadata, (error: ServiceError | null, response?: RecordStatus[]) => {
        if (error !== null && plan.countRefusals === true) {
          statuses[`ERROR_${status[error.code]}`] = (statuses[`ERROR_${status[error.code]}`] ?? 0) + 1;
          return resolve();
        }
        if (error !== null || response === undefined) return reject(error);
        count(response);
        resolve();
      }),
    );
  const latencies: number[] = [];
  const start = performance.now();
  const cpu = process.cpuUsage();

  if (plan.mode === 'closed-unary') {
    let next = 0;
    await Promise.all(
      Array.from({ length: plan.concurrency }, async () => {
        while (next < requests.length) {
          const request = requests[next++];
          const sent = performance.now();
          await unary(request);
          latencies.push(performance.now() - sent);
        }
      }),
    );
  } else if (plan.mode === 'open') {
    const interval = (plan.batch / (plan.rate ?? 1)) * 1000;
    await Promise.all(
      requests.map(async (request, i) => {
        const due = start + i * interval;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await unary(request);
        latencies.push(performance.now() - due);
      }),
    );
  } else {
    const call = client.makeBidiStreamRequest(IngestServiceService.ingestStream.path, passThrough, statusesOf, metadata);
    const sentAt: number[] = [];
    let answered = 0;
    let written = 0;
    await new Promise<void>((resolve, reject) => {
      const fill = () => {
        while (written < requests.length && written - answered < plan.concurrency) {
          sentAt.push(performance.now());
          call.write(requests[written++]);
        }
        if (written === requests.length) call.end();
      };
      call.on('data', (response: RecordStatus[]) => {
        latencies.push(performance.now() - sentAt[answered++]);
        count(response);
        fill();
      });
      call.on('error', reject);
      call.on('end', resolve);
      fill();
    });
  }

  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  client.close();
  latencies.sort((a, b) => a - b);
  const records = plan.to - plan.from;
  return {
    records,
    seconds,
    recordsPerSecond: Math.round(records / seconds),
    statuses,
    latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), p999: percentile(latencies, 0.999) },
    sendingCpuSeconds: (used.user + used.system) / 1e6,
  };
}

childMain(main);
