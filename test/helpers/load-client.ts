/**
 * A client that carries steady load through faults and keeps the books: it
 * sends seeded records in batches over gRPC and retries a batch with the
 * same event ids as the retry contract says (UNAVAILABLE, DEADLINE_EXCEEDED,
 * and RESOURCE_EXHAUSTED with RetryInfo), until each record settles as
 * ACCEPTED, DUPLICATE or REJECTED, or the batch has waited too long (failed).
 * The books are then reconciled against what ClickHouse holds.
 */
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { IngestResponse, IngestServiceClient, RecordStatus, type IngestRequest } from '../../src/gen/tributary/ingest/v1/ingest_service';
import type { Record } from '../../src/gen/tributary/ingest/v1/record';
import { statusDetails } from './status-details';
import { waitFor } from './wait';

/** What became of each record a client sent. */
export type Outcome = 'accepted' | 'duplicate' | 'rejected' | 'failed';

/** The load's shape. */
export interface LoadOptions {
  /** The gateway's address, host:port. */
  readonly address: string;
  readonly apiKey: string;
  /** Prefix of every event id, so a scenario's records can be told apart. */
  readonly prefix: string;
  readonly total: number;
  readonly batchSize: number;
  /** Batches in flight at once. */
  readonly concurrency: number;
  /** How long one batch may keep being retried before its records count as failed. */
  readonly giveUpAfterMs: number;
  /** Seed of the records' contents (and of which are invalid). */
  readonly seed: number;
  /** Records per second the client offers at most, so that the load spans the faults. */
  readonly ratePerSecond: number;
}

/** One in this many records is invalid on purpose (an empty track name), so that rejections are reconciled too. */
const INVALID_EVERY = 97;
const CALL_DEADLINE_MS = 10_000;

/** A track's data: a few keys with numbers, strings and booleans, some nested. */
const data = fc.dictionary(
  fc.stringMatching(/^[a-z]{1,8}$/),
  fc.oneof(fc.integer(), fc.boolean(), fc.string({ maxLength: 24 }), fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.integer(), { maxKeys: 3 })),
  { maxKeys: 5 },
);

/** The seeded records of a load: event ids `<prefix>-<n>`, one in {@link INVALID_EVERY} invalid. */
export function loadRecords(prefix: string, total: number, seed: number): Record[] {
  const payloads = fc.sample(data, { seed, numRuns: total });
  return payloads.map((payload, n) => ({
    eventId: `${prefix}-${n}`,
    timestamp: new Date(Date.UTC(2026, 10, 1) + n * 1000),
    kind: {
      $case: 'event',
      value: {
        profileId: `prof_${n % 500}`,
        userId: '',
        sessionId: 'sess_load',
        accountId: '',
        pageId: '',
        call: { $case: 'track', value: { name: n % INVALID_EVERY === 0 ? '' : 'Load Tested', data: payload } },
      },
    },
  }));
}

/** A client's load, its books, and how often each kind of refusal made it wait. */
export class LoadClient {
  readonly outcomes = new Map<string, Outcome>();
  /** Refusals that were retried, by status name (RESOURCE_EXHAUSTED, only with RetryInfo, by status and ErrorInfo reason, such as RESOURCE_EXHAUSTED/STREAM_FULL). */
  readonly retried: { [status: string]: number } = {};
  /** Every answer the gateway gave a record, by status, retries included. */
  readonly answered = { accepted: 0, duplicate: 0, rejected: 0 };
  /** Every call: when it started and ended (ms since the epoch), and whether it answered with an ACCEPTED record. */
  readonly calls: { readonly startedAt: number; readonly endedAt: number; readonly accepted: boolean }[] = [];
  private readonly records: Record[];
  private readonly client: InstanceType<typeof IngestServiceClient>;
  private next = 0;
  private startedAt = 0;

  constructor(private readonly options: LoadOptions) {
    this.records = loadRecords(options.prefix, options.total, options.seed);
    this.client = new IngestServiceClient(options.address, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
  }

  /** Records settled as ACCEPTED or DUPLICATE so far. */
  get acked(): number {
    let acked = 0;
    for (const outcome of this.outcomes.values()) if (outcome === 'accepted' || outcome === 'duplicate') acked++;
    return acked;
  }

  /** Waits until `count` records have been acknowledged. */
  untilAcked(count: number): Promise<true> {
    return waitFor(`${count} records acknowledged`, () => (this.acked >= count ? true : undefined), 120_000, 20);
  }

  /** The event ids that settled with `outcomes`. */
  ids(...outcomes: Outcome[]): string[] {
    return [...this.outcomes].filter(([, outcome]) => outcomes.includes(outcome)).map(([id]) => id);
  }

  /** How many records ended with each outcome, and how many were sent. */
  tally(): { [outcome in Outcome | 'sent']: number } {
    const tally = { sent: this.records.length, accepted: 0, duplicate: 0, rejected: 0, failed: 0 };
    for (const outcome of this.outcomes.values()) tally[outcome]++;
    return tally;
  }

  /** Sends every record, `concurrency` batches at a time; resolves once each has settled. */
  async run(): Promise<void> {
    this.startedAt = Date.now();
    await Promise.all(Array.from({ length: this.options.concurrency }, () => this.worker()));
    this.client.close();
  }

  private async worker(): Promise<void> {
    while (this.next < this.records.length) {
      const from = this.next;
      const batch = this.records.slice(from, from + this.options.batchSize);
      this.next += batch.length;
      const due = this.startedAt + (from / this.options.ratePerSecond) * 1000;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      await this.settle(batch);
    }
  }

  /** Sends one batch until its records settle, or marks them failed after giveUpAfterMs. */
  private async settle(batch: Record[]): Promise<void> {
    const giveUpAt = Date.now() + this.options.giveUpAfterMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.call({ records: batch });
        response.results.forEach((result, i) => {
          const outcome = outcomeOf(result.status);
          this.outcomes.set(batch[i].eventId, outcome);
          this.answered[outcome]++;
        });
        return;
      } catch (error) {
        const pause = this.pauseBefore(error as ServiceError, attempt);
        if (pause === undefined || Date.now() + pause > giveUpAt) {
          for (const record of batch) this.outcomes.set(record.eventId, 'failed');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  /** How long to wait before retrying after `error`, or undefined when the contract says not to retry. */
  private pauseBefore(error: ServiceError, attempt: number): number | undefined {
    const backoff = Math.min(2_000, 50 * 2 ** attempt);
    if (error.code === status.UNAVAILABLE || error.code === status.DEADLINE_EXCEEDED) {
      this.count(status[error.code]);
      return backoff;
    }
    if (error.code !== status.RESOURCE_EXHAUSTED) return undefined;
    const details = safeDetails(error);
    const retryDelay = details?.retryInfo?.retryDelay;
    if (retryDelay === undefined) return undefined;
    this.count(`RESOURCE_EXHAUSTED/${details?.errorInfo?.reason ?? ''}`);
    return Math.max(backoff, Number(retryDelay.seconds) * 1000 + retryDelay.nanos / 1e6);
  }

  private count(name: string): void {
    this.retried[name] = (this.retried[name] ?? 0) + 1;
  }

  /** The longest call, in ms. */
  longestCallMs(): number {
    return this.calls.reduce((longest, call) => Math.max(longest, call.endedAt - call.startedAt), 0);
  }

  /** How long after `at` the first call that started then answered with an ACCEPTED record ended, or undefined if none did. */
  acceptingAgainMs(at: number): number | undefined {
    const ends = this.calls.filter((call) => call.accepted && call.startedAt >= at).map((call) => call.endedAt);
    return ends.length === 0 ? undefined : Math.min(...ends) - at;
  }

  private call(request: IngestRequest): Promise<IngestResponse> {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${this.options.apiKey}`);
    const startedAt = Date.now();
    return new Promise((resolve, reject) => {
      this.client.ingest(request, metadata, { deadline: startedAt + CALL_DEADLINE_MS }, (error: ServiceError | null, response: IngestResponse) => {
        const accepted = error === null && response.results.some((result) => result.status === RecordStatus.ACCEPTED);
        this.calls.push({ startedAt, endedAt: Date.now(), accepted });
        if (error === null) resolve(response);
        else reject(error);
      });
    });
  }
}

const safeDetails = (error: ServiceError) => {
  try {
    return statusDetails(error);
  } catch {
    return undefined;
  }
};

function outcomeOf(result: RecordStatus): Exclude<Outcome, 'failed'> {
  if (result === RecordStatus.ACCEPTED) return 'accepted';
  if (result === RecordStatus.DUPLICATE) return 'duplicate';
  if (result === RecordStatus.REJECTED) return 'rejected';
  throw new Error(`a record result the contract does not give: ${result}`);
}
