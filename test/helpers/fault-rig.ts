/**
 * The processes of a fault scenario, each a real `tributary` child on fixed
 * ports so that it can be killed and started again in place: a gateway and a
 * sink (with its embedded ClickHouse) against the scenario's NATS, or one
 * serve with its own nats-server. Then the books: what ClickHouse holds for
 * the load's event ids, read from the data folder once the process is gone.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { NatsLink } from '../../src/stream/connection';
import { freePort } from './free-port';
import { queryEmbedded, startCli, type CliProcess } from './cli-process';
import { LoadClient, type LoadOptions } from './load-client';
import { waitFor } from './wait';

/** The seed of every scenario's records: FAULT_SEED replays a failure. */
export const FAULT_SEED = Number(process.env.FAULT_SEED ?? 20261129);

/** The roles a rig runs: a gateway and a sink as two processes, or serve. */
export type Role = 'gateway' | 'sink' | 'serve';

/** What ClickHouse holds of a load: rows per event id, in the table and after FINAL. */
export interface Stored {
  readonly rows: Map<string, number>;
  readonly finalRows: Map<string, number>;
}

/** A scenario's processes. */
export class FaultRig {
  readonly apiKey = `fault-key-${randomBytes(8).toString('hex')}`;
  readonly adminKey = `fault-admin-${randomBytes(8).toString('hex')}`;
  readonly stream: string;
  readonly sinkConsumer: string;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'tributary-fault-'));
  private readonly processes = new Map<Role, CliProcess>();
  private inspector: NatsConnection | undefined;

  private constructor(
    private readonly inspectorUrls: string,
    private readonly env: NodeJS.ProcessEnv,
    readonly grpcPort: number,
    private readonly httpPorts: { readonly [role in Role]: number },
  ) {
    this.stream = env.TRIBUTARY_STREAM as string;
    this.sinkConsumer = env.TRIBUTARY_SINK_CONSUMER as string;
  }

  /**
   * A rig against `natsUrl` (empty: serve runs its own), with `env` added to
   * every process; the test looks inside through `inspectorUrls` (by default
   * `natsUrl`), which may name more nodes than the processes are given.
   */
  static async create(natsUrl: string, env: NodeJS.ProcessEnv = {}, inspectorUrls = natsUrl): Promise<FaultRig> {
    const id = randomBytes(4).toString('hex');
    const base = {
      ...(natsUrl === '' ? {} : { NATS_URL: natsUrl }),
      TRIBUTARY_STREAM: `F_${id}`,
      TRIBUTARY_SUBJECT_PREFIX: `f${id}`,
      TRIBUTARY_SINK_CONSUMER: `sink-${id}`,
      // What a killed sink held comes back soon.
      TRIBUTARY_SINK_ACK_WAIT: '3s',
      TRIBUTARY_SINK_BATCH_SIZE: '1000',
      TRIBUTARY_LOG_LEVEL: process.env.FAULT_LOG_LEVEL ?? 'warn',
      ...env,
    };
    return new FaultRig(inspectorUrls, base, await freePort(), { gateway: await freePort(), sink: await freePort(), serve: await freePort() });
  }

  /**
   * The test's own connection to the rig's NATS (every node of a cluster),
   * to look inside the stream, moving off a node that a partition cuts off
   * as the service's own connections do; closed with the rig.
   */
  async connection(): Promise<NatsConnection> {
    this.inspector ??= (await NatsLink.open(this.inspectorUrls, 'fault-test', pino({ level: 'silent' }))).nc;
    return this.inspector;
  }

  /** A JetStream manager on {@link connection}, made without a request, so that it can be had during a partition. */
  async jetStream(): Promise<JetStreamManager> {
    return jetstreamManager(await this.connection(), { checkAPI: false });
  }

  /** A client of the rig's gateway: batches of 100, four in flight, records seeded by {@link FAULT_SEED}. */
  loadClient(load: Pick<LoadOptions, 'prefix' | 'total' | 'ratePerSecond'> & Partial<LoadOptions>): LoadClient {
    return new LoadClient({ address: `127.0.0.1:${this.grpcPort}`, apiKey: this.apiKey, batchSize: 100, concurrency: 4, giveUpAfterMs: 60_000, seed: FAULT_SEED, ...load });
  }

  /** Starts `role` and waits (up to `readyTimeoutMs`) until its /readyz is 200. */
  async start(role: Role, readyTimeoutMs = 60_000): Promise<void> {
    const started = startCli([role], {
      ...this.env,
      TRIBUTARY_DATA_DIR: this.dataDir,
      TRIBUTARY_GRPC_ADDR: `127.0.0.1:${this.grpcPort}`,
      TRIBUTARY_HTTP_ADDR: `127.0.0.1:${this.httpPorts[role]}`,
      TRIBUTARY_API_KEYS: `${this.apiKey}=fault_test`,
      TRIBUTARY_ADMIN_KEY: this.adminKey,
    });
    this.processes.set(role, started);
    const ready = waitFor(`${role} to be ready`, async () => ((await this.readyz(role))?.status === 200 ? true : undefined), readyTimeoutMs).catch((error: Error) => {
      throw new Error(`${error.message}; it wrote: ${started.output()}`);
    });
    await Promise.race([ready, started.exited.then((code) => Promise.reject(new Error(`${role} exited (${code}): ${started.output()}`)))]);
  }

  /** The /readyz answer of `role`. */
  async readyz(role: Role): Promise<{ status: number; body: unknown } | undefined> {
    const response = await fetch(`http://127.0.0.1:${this.httpPorts[role]}/readyz`).catch(() => undefined);
    return response === undefined ? undefined : { status: response.status, body: await response.json() };
  }

  /** A number `role` exports at /metrics, such as tributary_sink_consumer_pending. */
  async metric(role: Role, name: string): Promise<number | undefined> {
    const text = await fetch(`http://127.0.0.1:${this.httpPorts[role]}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(name.length + 1));
  }

  /** Waits until the sink's consumer has nothing pending and nothing awaiting ack, looking through `jsm`. */
  async sinkCaughtUp(jsm: JetStreamManager, timeoutMs = 120_000): Promise<void> {
    await waitFor(
      'the sink to store everything',
      async () => {
        // The records' consumer, and the accounting stream's.
        const infos = [await jsm.consumers.info(this.stream, this.sinkConsumer), await jsm.consumers.info(`${this.stream}_ACCOUNTING`, `${this.sinkConsumer}-accounting`)];
        return infos.every((info) => info.num_pending + info.num_ack_pending === 0) ? true : undefined;
      },
      timeoutMs,
      200,
    );
  }

  /** Kills `role` with SIGKILL, as a crash or the OOM killer would. */
  async kill(role: Role): Promise<void> {
    const running = this.processes.get(role);
    if (running === undefined) throw new Error(`${role} is not running`);
    running.child.kill('SIGKILL');
    await running.exited;
    this.processes.delete(role);
  }

  /** Stops `role` with SIGTERM and requires a clean exit within `graceMs`; returns how long it took. */
  async stop(role: Role, graceMs = 30_000): Promise<number> {
    const running = this.processes.get(role);
    if (running === undefined) return 0;
    const at = Date.now();
    running.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`still running ${graceMs / 1000} s after SIGTERM`), graceMs)));
    const code = await Promise.race([running.exited, late]);
    clearTimeout(timer);
    if (code !== 0) {
      await this.kill(role);
      throw new Error(`${role} did not stop cleanly (${code}): ${running.output()}`);
    }
    this.processes.delete(role);
    return Date.now() - at;
  }

  /** What ClickHouse holds for ids starting `prefix`, read from the data folder (stop the sink or serve first). */
  async stored(prefix: string): Promise<Stored> {
    const read = async (table: string) => {
      const rows = await queryEmbedded<{ event_id: string; n: string }>(this.dataDir, `SELECT event_id, count() AS n FROM ${table} WHERE startsWith(event_id, '${prefix}-') GROUP BY event_id`);
      return new Map(rows.map((row) => [row.event_id, Number(row.n)]));
    };
    return { rows: await read('tributary.events'), finalRows: await read('tributary.events FINAL') };
  }

  /** The gateways' counts of the rig's source by measure (received, accepted, duplicate, rejected, dropped), read from the data folder (stop the sink first). */
  async accounting(): Promise<{ [measure: string]: number }> {
    const rows = await queryEmbedded<{ measure: string; n: string }>(this.dataDir, `SELECT measure, sum(count) AS n FROM tributary.accounting FINAL WHERE source_id = 'fault_test' GROUP BY measure`);
    return Object.fromEntries(rows.map((row) => [row.measure, Number(row.n)]));
  }

  /** Kills whatever still runs, closes the JetStream manager's connection, and removes the data folder. */
  async close(): Promise<void> {
    await this.inspector?.close();
    for (const role of [...this.processes.keys()]) await this.kill(role).catch(() => undefined);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * Reconciles a client's books against ClickHouse: every record it sent
 * settled one way (sent = accepted + duplicate + rejected + failed); every
 * record it saw ACCEPTED or DUPLICATE is stored exactly once, as `FINAL`
 * reads it; no event id has a second row even before `FINAL` (a redelivered
 * batch stores nothing twice: docs/sink.md); nothing rejected or never sent
 * is stored.
 */
export function reconcile(client: LoadClient, stored: Stored): void {
  const tally = client.tally();
  expect(tally.accepted + tally.duplicate + tally.rejected + tally.failed).toBe(tally.sent);
  const acked = client.ids('accepted', 'duplicate');
  const notOnce = acked.filter((id) => stored.finalRows.get(id) !== 1);
  expect(notOnce.slice(0, 10)).toEqual([]);
  expect(rawDuplicates(stored)).toBe(0);
  const sentNotRejected = new Set(client.ids('accepted', 'duplicate', 'failed'));
  const unexpected = [...stored.rows.keys()].filter((id) => !sentNotRejected.has(id));
  expect(unexpected.slice(0, 10)).toEqual([]);
}

/**
 * Checks the accounting against the client's books: every answer the client
 * got is counted (a gateway killed after counting a request but before
 * answering it may have counted more), and the counts add up.
 */
export function reconcileAccounting(client: LoadClient, counts: { [measure: string]: number }): void {
  const at = (measure: string) => counts[measure] ?? 0;
  for (const outcome of ['accepted', 'duplicate', 'rejected'] as const) expect({ [outcome]: at(outcome) >= client.answered[outcome] }).toEqual({ [outcome]: true });
  expect(at('received')).toBe(at('accepted') + at('duplicate') + at('rejected') + at('dropped'));
}

/** Rows in the table beyond one per event id: what only FINAL collapses. */
export function rawDuplicates(stored: Stored): number {
  let extra = 0;
  for (const rows of stored.rows.values()) extra += rows - 1;
  return extra;
}
