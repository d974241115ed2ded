/**
 * Fuzzing the front doors with fast-check (seeded, so a failure replays):
 * generated and mutated requests, random bytes, and records with random
 * fields and Structs, sent to a real gateway over gRPC and through the
 * gRPC-Web bridge. Every input is answered with a status (OK with one result
 * per record, or a whole-call status the contract names), never INTERNAL or
 * UNKNOWN, never a hang, and the process's memory stays bounded.
 */
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import pino from 'pino';
import { DEFAULT_LIMITS } from '../../../src/contract';
import { GrpcWebBridge } from '../../../src/gateway/grpc-web-bridge';
import { readRequestFrame } from '../../../src/gateway/request-frame';
import { IngestRequest, IngestResponse, IngestServiceClient } from '../../../src/gen/tributary/ingest/v1/ingest_service';
import { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { grpcWebCall } from '../../../sdk/src/grpc-web/fetch-call';
import { startHttpEndpoint, type HttpEndpoint } from '../../../src/http/http-server';
import { Metrics } from '../../../src/observability/metrics';
import { GatewayHarness, KEYS } from '../../helpers/gateway-harness';
import { validRecords } from '../../helpers/records';

jest.setTimeout(600_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const GRPC_INPUTS = Number(process.env.FUZZ_GRPC_INPUTS ?? 60_000);
const GRPC_WEB_INPUTS = Number(process.env.FUZZ_GRPC_WEB_INPUTS ?? 40_000);
const CONCURRENCY = 32;
const DEADLINE_MS = 10_000;
const INGEST = '/tributary.ingest.v1.IngestService/Ingest';
/** The whole-call statuses the contract answers with; anything else (INTERNAL, UNKNOWN, DEADLINE_EXCEEDED…) is a finding. */
const CONTRACT_STATUSES = new Set([status.OK, status.INVALID_ARGUMENT, status.RESOURCE_EXHAUSTED, status.UNAVAILABLE, status.UNAUTHENTICATED]);

let harness: GatewayHarness;
let bridge: GrpcWebBridge;
let http: HttpEndpoint;
let client: InstanceType<typeof IngestServiceClient>;
beforeAll(async () => {
  harness = await GatewayHarness.start({ publishTimeoutMs: '30s', maxRequestBytes: '64KiB' });
  bridge = new GrpcWebBridge({ target: `127.0.0.1:${harness.gateway.port}`, corsOrigins: [], maxBodyBytes: 128 * 1024, logger: pino({ level: 'silent' }) });
  http = await startHttpEndpoint('127.0.0.1:0', { metrics: new Metrics(), logger: pino({ level: 'silent' }), ready: {}, grpcWeb: (req, res) => bridge.handle(req, res) });
  client = new IngestServiceClient(`127.0.0.1:${harness.gateway.port}`, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
});
afterAll(async () => {
  client.close();
  bridge.close();
  await http.close();
  await harness.close();
});

/** Valid requests to mutate: the fixtures, one to a few per request. */
const seeds = (): Uint8Array[] => {
  const records = validRecords('-fuzz');
  return records.map((_, i) => IngestRequest.encode({ records: records.slice(i, i + 1 + (i % 3)) }).finish());
};

/** A record with random ids, names and Structs, of any kind and call. */
const randomRecord: fc.Arbitrary<Record> = fc
  .record({
    eventId: fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 })),
    profileId: fc.oneof(fc.constant(''), fc.string({ maxLength: 30 })),
    name: fc.string({ unit: 'binary', maxLength: 30 }),
    data: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 }),
    call: fc.constantFrom('track', 'identify', 'alias', 'group', 'consent', 'page', 'product'),
    seconds: fc.integer({ min: -1e11, max: 1e11 }),
  })
  .map(({ eventId, profileId, name, data, call, seconds }): Record => {
    const timestamp = new Date(seconds * 1000);
    const ids = { profileId, userId: name, sessionId: '', accountId: '', pageId: '' };
    if (call === 'product')
      return {
        eventId,
        timestamp,
        kind: { $case: 'product', value: { productId: name, title: name, description: '', url: '', imageLink: '', currency: '', brand: '', category: '', tags: [name], availability: 0, data } },
      };
    const calls = {
      track: { $case: 'track' as const, value: { name, data } },
      identify: { $case: 'identify' as const, value: { userAttributes: data } },
      alias: { $case: 'alias' as const, value: { anotherUserId: name } },
      group: { $case: 'group' as const, value: { accountAttributes: data } },
      consent: { $case: 'consent' as const, value: { action: 1, category: name, validUntil: timestamp, source: name, message: '', email: '' } },
      page: { $case: 'page' as const, value: { url: name, title: name, referrer: '', path: '', data } },
    };
    return { eventId, timestamp, kind: { $case: 'event', value: { ...ids, call: calls[call] } } };
  });

/** A byte-level mutation of an encoded request: a byte set, bytes inserted or deleted, a cut, a part repeated. */
const mutated = (bases: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.constantFrom(...bases), fc.array(fc.tuple(fc.nat(), fc.nat(255), fc.constantFrom('set', 'insert', 'delete', 'cut', 'repeat')), { minLength: 1, maxLength: 4 })).map(([base, edits]) => {
    let bytes = Buffer.from(base);
    for (const [at, value, edit] of edits) {
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      if (edit === 'set' && bytes.length > 0) bytes[i] = value;
      else if (edit === 'insert') bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([value, value ^ 0x80]), bytes.subarray(i)]);
      else if (edit === 'delete') bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)]);
      else if (edit === 'cut') bytes = bytes.subarray(0, i);
      else if (edit === 'repeat') bytes = Buffer.concat([bytes, bytes.subarray(i, i + 1 + (value % 64))]);
    }
    return bytes;
  });

/** Every kind of input, encoded as a request body. */
const inputs = (bases: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 4, arbitrary: mutated(bases) },
    { weight: 3, arbitrary: fc.array(randomRecord, { minLength: 0, maxLength: 5 }).map((records) => IngestRequest.encode({ records }).finish()) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 512 }) },
    { weight: 1, arbitrary: fc.array(randomRecord, { minLength: 1, maxLength: 3 }).chain((records) => mutated([IngestRequest.encode({ records }).finish()])) },
  );

/** One gRPC call with raw bytes: the status code, and the response's result count when OK. */
function grpcCall(body: Uint8Array): Promise<{ code: number; results?: number }> {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${KEYS.sourceA}`);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      INGEST,
      (bytes: Uint8Array) => Buffer.from(bytes),
      (buffer: Buffer) => IngestResponse.decode(buffer),
      body,
      metadata,
      { deadline: Date.now() + DEADLINE_MS },
      (error: ServiceError | null, response?: IngestResponse) => resolve(error === null ? { code: status.OK, results: response?.results.length } : { code: error.code }),
    );
  });
}

/** One gRPC-Web call with raw bytes, binary or text: the grpc-status, and the result count when OK. */
async function grpcWebCallOf(body: Uint8Array, text: boolean): Promise<{ code: number; results?: number }> {
  const result = await grpcWebCall(`http://127.0.0.1:${http.port}${INGEST}`, [body], { headers: { authorization: `Bearer ${KEYS.sourceA}` }, text });
  const code = Number(result.trailers['grpc-status'] ?? result.headers.get('grpc-status') ?? NaN);
  return { code, results: code === status.OK && result.messages.length > 0 ? IngestResponse.decode(result.messages[0]).results.length : undefined };
}

/** The number of records the gateway reads in a request body (one result is owed for each), when it reads as a request at all. */
function recordCount(body: Uint8Array): number | undefined {
  const frame = readRequestFrame(body, Number.MAX_SAFE_INTEGER, DEFAULT_LIMITS);
  return frame.kind === 'decoded' ? frame.records.length : undefined;
}

const CHUNK = 5_000;

/**
 * Sends `count` generated inputs with bounded concurrency, made in chunks of
 * their own seed (`door` tells the two doors' inputs apart) so that few are
 * held at once; returns the status codes and the findings (inputs answered
 * outside the contract, with what replays them).
 */
async function fuzz(count: number, door: number, call: (body: Uint8Array, i: number) => Promise<{ code: number; results?: number }>): Promise<{ findings: string[]; codes: Map<number, number> }> {
  const findings: string[] = [];
  const codes = new Map<number, number>();
  const arbitrary = inputs(seeds());
  for (let from = 0; from < count; from += CHUNK) {
    const seed = SEED + 1_000 * door + from / CHUNK;
    const bodies = fc.sample(arbitrary, { seed, numRuns: Math.min(CHUNK, count - from) });
    let next = 0;
    const worker = async () => {
      while (next < bodies.length) {
        const i = next++;
        const { code, results } = await call(bodies[i], from + i);
        codes.set(code, (codes.get(code) ?? 0) + 1);
        const expected = recordCount(bodies[i]);
        const bad = !CONTRACT_STATUSES.has(code) || (code === status.OK && expected !== undefined && results !== expected);
        if (bad && findings.length < 5) findings.push(`input ${i} of seed ${seed}: status ${code}, ${results} results for ${expected} records: ${Buffer.from(bodies[i]).toString('base64')}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }
  return { findings, codes };
}

it(`answers ${GRPC_INPUTS} fuzzed gRPC and ${GRPC_WEB_INPUTS} fuzzed gRPC-Web inputs within the contract, with memory bounded`, async () => {
  const rssBefore = process.memoryUsage().rss;
  const grpc = await fuzz(GRPC_INPUTS, 0, (body) => grpcCall(body));
  const web = await fuzz(GRPC_WEB_INPUTS, 1, (body, i) => grpcWebCallOf(body, i % 2 === 1));

  expect(grpc.findings).toEqual([]);
  expect(web.findings).toEqual([]);
  expect([...grpc.codes.values()].reduce((a, b) => a + b, 0)).toBe(GRPC_INPUTS);
  expect([...web.codes.values()].reduce((a, b) => a + b, 0)).toBe(GRPC_WEB_INPUTS);
  // Both doors saw both outcomes: answered per record, and refused as a whole.
  expect(grpc.codes.get(status.OK)).toBeGreaterThan(0);
  expect(grpc.codes.get(status.INVALID_ARGUMENT)).toBeGreaterThan(0);
  expect(web.codes.get(status.OK)).toBeGreaterThan(0);
  expect(web.codes.get(status.INVALID_ARGUMENT)).toBeGreaterThan(0);
  // The gateway still serves, and the process did not grow without bound.
  expect((await grpcCall(IngestRequest.encode({ records: validRecords('-after-fuzz') }).finish())).code).toBe(status.OK);
  expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * 1024 * 1024);
});
