/**
 * The reconciliation of one source over a window, minute by minute
 * (docs/accounting.md): the gateways' counts from `accounting` must add up,
 * `received = accepted + duplicate + rejected + dropped`, and every record
 * they accepted must be somewhere: `accepted = stored + dead-lettered +
 * pending`. The right side is found record by record: each message the
 * stream holds of the source is stored (its sequence is in `events`, or its
 * product is in `products`), dead-lettered, pending (beyond the sink's ack
 * floor), or missing, and the missing ones are named by event id.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Config } from '../config/settings';
import { MEASURES, minuteOf, type Measure } from '../stream/accounting-message';
import { waitForConsumers } from '../stream/stream-erasure';
import { accountingConsumerConfig, identityConsumerConfig, IDENTITY_CALLS } from '../stages/consumers';
import { accountingStreamName } from '../stream/accounting-stream';
import { selectRows } from '../storage/clickhouse-client';
import { scanSource, type ScannedRecord } from './stream-scan';

/** One minute's equations. */
export interface MinuteBalance {
  /** The minute, RFC 3339. */
  readonly minute: string;
  readonly received: number;
  readonly accepted: number;
  readonly duplicate: number;
  readonly rejected: number;
  readonly dropped: number;
  readonly stored: number;
  readonly deadLettered: number;
  readonly pending: number;
  /** Event ids the stream holds, behind the sink's ack floor, and neither stored nor dead-lettered. */
  readonly missing: readonly string[];
  /** Whether received = accepted + duplicate + rejected + dropped. */
  readonly countsHold: boolean;
  /** Whether accepted = stored + dead-lettered + pending, with nothing missing. */
  readonly recordsHold: boolean;
}

/** A source's reconciliation. */
export interface Reconciliation {
  readonly source: string;
  readonly from: string;
  readonly minutes: readonly MinuteBalance[];
  /** Whether every minute's equations hold. */
  readonly holds: boolean;
  /** Why the counts may be short (the accounting stream not yet written), if they may be. */
  readonly notice?: string;
}

/** Where the reconciliation and the overview read. */
export interface AccountingReads {
  readonly clickhouse: ClickHouseClient;
  readonly database: string;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly sinkConsumer: string;
  readonly accountingStream: string;
  readonly accountingConsumer: string;
  /** How long to wait for the accounting stream to be written up to where it ended. */
  readonly settleMs: number;
  /** The identity stage's consumers, whose backlog the overview shows. */
  readonly identityConsumers: readonly string[];
}

/** Waits (up to `settleMs`) until the accounting consumer has acked every message the accounting stream held; says so when it has not. */
async function settleAccounting(deps: AccountingReads): Promise<string | undefined> {
  const last = (await deps.jsm.streams.info(deps.accountingStream)).state.last_seq;
  let waiting = '';
  try {
    await waitForConsumers(deps.jsm, deps.accountingStream, [deps.accountingConsumer], last, (what) => (waiting = what), AbortSignal.timeout(deps.settleMs));
    return undefined;
  } catch (error) {
    if (error instanceof DOMException && error.name === 'TimeoutError') return `the accounting stream is not all written (${waiting}): counts of the newest requests may be missing`;
    throw error;
  }
}

/** Runs one of the accounting's own queries. */
export const rows = <T>(deps: AccountingReads, query: string, params: { readonly [name: string]: unknown }): Promise<T[]> => selectRows<T>(deps.clickhouse, query, params);

/** The stream sequences a query's `seq` column gives. */
async function seqSet(deps: AccountingReads, query: string, params: { readonly [name: string]: unknown }): Promise<Set<number>> {
  return new Set((await rows<{ seq: number }>(deps, query, params)).map((r) => r.seq));
}

/** One minute's figures as they are gathered: the gateways' counts, and the stream's records by where they are. */
type Tally = { [measure in Measure]: number } & {
  stored: number;
  deadLettered: number;
  pending: number;
  missing: string[];
};

const emptyTally = (): Tally => ({ received: 0, accepted: 0, duplicate: 0, rejected: 0, dropped: 0, stored: 0, deadLettered: 0, pending: 0, missing: [] });

/** Reconciles `source` from `fromMs` (floored to its minute) to now. */
export async function reconcile(deps: AccountingReads, source: string, fromMs: number): Promise<Reconciliation> {
  const from = minuteOf(fromMs);
  const fromSeconds = Math.floor(from / 1000);
  // The stream's end first, then the sink's floor: a record is pending only if the sink had not passed it when it was looked at.
  const lastSeq = (await deps.jsm.streams.info(deps.stream)).state.last_seq;
  const notice = await settleAccounting(deps);
  const ackFloor = (await deps.jsm.consumers.info(deps.stream, deps.sinkConsumer)).ack_floor.stream_seq;
  const scanned = await scanSource(deps.js, deps.stream, deps.subjectPrefix, source, from, lastSeq);

  const db = deps.database;
  const counts = await rows<{ minute: number; measure: string; count: number }>(
    deps,
    `SELECT toUnixTimestamp(minute) * 1000 AS minute, measure, sum(count) AS count FROM ${db}.accounting FINAL
     WHERE source_id = {source:String} AND stage = 'gateway' AND minute >= toDateTime({from:UInt32}) GROUP BY minute, measure`,
    { source, from: fromSeconds },
  );
  const storedSeqs = await seqSet(deps, `SELECT DISTINCT stream_seq AS seq FROM ${db}.events WHERE source_id = {source:String} AND received_at >= toDateTime64({from:UInt32}, 3)`, {
    source,
    from: fromSeconds,
  });
  const products = scanned.some((r) => r.productId !== undefined)
    ? new Set((await rows<{ product_id: string }>(deps, `SELECT DISTINCT product_id FROM ${db}.products WHERE source_id = {source:String}`, { source })).map((r) => r.product_id))
    : new Set<string>();
  const deadSeqs = await seqSet(
    deps,
    // A letter a redrive sent through is no longer one: its record is stored, or missing.
    `SELECT DISTINCT stream_seq AS seq FROM ${db}.dead_letters FINAL WHERE reason != 'IDENTITY_LINK_REFUSED' AND redriven_by = '' AND (source_id = {source:String} OR startsWith(subject, {prefix:String}))`,
    { source, prefix: `${deps.subjectPrefix}.${source}.` },
  );

  const minutes = new Map<number, Tally>();
  const at = (minute: number): Tally => {
    const held = minutes.get(minute);
    if (held !== undefined) return held;
    const tally = emptyTally();
    minutes.set(minute, tally);
    return tally;
  };
  for (const { minute, measure, count } of counts) {
    const tally = at(minute);
    if (MEASURES.includes(measure as Measure)) tally[measure as Measure] += count;
  }
  const isStored = (r: ScannedRecord): boolean => (r.productId === undefined ? storedSeqs.has(r.seq) : products.has(r.productId));
  for (const record of scanned) {
    const tally = at(record.minute);
    if (isStored(record)) tally.stored++;
    else if (deadSeqs.has(record.seq)) tally.deadLettered++;
    else if (record.seq > ackFloor) tally.pending++;
    else tally.missing.push(record.eventId);
  }
  const balances = [...minutes.entries()]
    .sort(([a], [b]) => a - b)
    .map(([minute, t]): MinuteBalance => ({
      minute: new Date(minute).toISOString(),
      ...t,
      countsHold: t.received === t.accepted + t.duplicate + t.rejected + t.dropped,
      recordsHold: t.missing.length === 0 && t.accepted === t.stored + t.deadLettered + t.pending,
    }));
  return { source, from: new Date(from).toISOString(), minutes: balances, holds: balances.every((m) => m.countsHold && m.recordsHold), ...(notice === undefined ? {} : { notice }) };
}

/** How long a reconciliation waits for the accounting stream to be written. */
const SETTLE_MS = 10_000;

/** Where the reconciliation and the console's overview read: the configured streams and tables, over the sink's ClickHouse client and NATS connection. */
export async function accountingReads(config: Config, clickhouse: ClickHouseClient, nc: NatsConnection): Promise<AccountingReads> {
  return {
    clickhouse,
    database: config.clickhouseDatabase,
    js: jetstream(nc),
    jsm: await jetstreamManager(nc),
    stream: config.stream,
    subjectPrefix: config.subjectPrefix,
    sinkConsumer: config.sinkConsumer,
    accountingStream: accountingStreamName(config),
    accountingConsumer: accountingConsumerConfig(config).durable_name,
    settleMs: SETTLE_MS,
    identityConsumers: IDENTITY_CALLS.map((call) => identityConsumerConfig(config, call).durable_name),
  };
}
