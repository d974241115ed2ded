/**
 * The least-privilege NATS users of deploy/nats/roles.conf, on a real
 * nats-server: a `tributary gateway` and a `tributary sink` each connect as
 * their own user and a record goes all the way to ClickHouse, a regulation
 * and a replay run across both; then each user
 * is shown to be refused what belongs to the other role (the gateway may not
 * read the stream, the sink's inboxes or fetch from the sink's consumer; the
 * sink may not publish records or read the gateway's inboxes; neither may
 * update the stream), and a client without credentials is refused outright.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { postAdminQuery } from '../../../src/http/admin-query-client';
import { findNatsServer, NatsServerProcess } from '../../../src/serve/nats-server-process';
import { ANY_PORTS, listeningPorts, startCli, type CliProcess } from '../../helpers/cli-process';
import { waitReady } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(120_000);
const ROLES = join(__dirname, '..', '..', '..', 'deploy', 'nats', 'roles.conf');
const password = { gateway: randomBytes(12).toString('hex'), sink: randomBytes(12).toString('hex') };
const apiKey = `roles-api-key-${randomBytes(8).toString('hex')}`;
const adminKey = `roles-admin-key-${randomBytes(8).toString('hex')}`;
let dir: string;
let nats: NatsServerProcess;
const roles: CliProcess[] = [];
let gatewayHttp: number;
let sinkHttp: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-nats-roles-'));
  // The committed file, with the passwords it reads from the server's environment written in.
  const conf = readFileSync(ROLES, 'utf8').replace('$NATS_GATEWAY_PASSWORD', `"${password.gateway}"`).replace('$NATS_SINK_PASSWORD', `"${password.sink}"`);
  writeFileSync(join(dir, 'nats.conf'), conf);
  nats = new NatsServerProcess(0, join(dir, 'store'), findNatsServer() ?? 'nats-server', 20_000, ['-c', join(dir, 'nats.conf')]);
  await nats.resume();
  const common = { NATS_URL: nats.url, ...ANY_PORTS };
  roles.push(startCli(['sink'], { ...common, NATS_USER: 'sink', NATS_PASSWORD: password.sink, TRIBUTARY_DATA_DIR: join(dir, 'sink'), TRIBUTARY_ADMIN_KEY: adminKey }));
  roles.push(startCli(['gateway'], { ...common, NATS_USER: 'gateway', NATS_PASSWORD: password.gateway, TRIBUTARY_API_KEYS: `${apiKey}=roles`, TRIBUTARY_ADMIN_KEY: adminKey }));
  [sinkHttp, gatewayHttp] = [(await listeningPorts(roles[0], false)).http, (await listeningPorts(roles[1], true)).http];
  await Promise.all([waitReady(sinkHttp), waitReady(gatewayHttp)]);
});
afterAll(async () => {
  for (const role of roles) role.child.kill('SIGTERM');
  const codes = await Promise.all(roles.map((role) => role.exited));
  await nats?.pause();
  rmSync(dir, { recursive: true, force: true });
  expect(codes).toEqual([0, 0]);
});

it('carries a record from a gateway to a sink, each as its own user', async () => {
  const eventId = `evt_roles_${randomBytes(4).toString('hex')}`;
  const response = await fetch(`http://127.0.0.1:${gatewayHttp}/tributary.ingest.v1.IngestService/Ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ records: [{ eventId, timestamp: new Date().toISOString(), event: { profileId: 'prof_roles', track: { name: 'Roles' } } }] }),
  });
  expect(((await response.json()) as { results: { status: string }[] }).results[0].status).toBe('RECORD_STATUS_ACCEPTED');
  await waitFor(
    'the record in ClickHouse',
    async () => ((await postAdminQuery(`127.0.0.1:${sinkHttp}`, adminKey, `SELECT count() AS n FROM tributary.events WHERE event_id = '${eventId}'`)) as { n: number }[])[0].n === 1 || undefined,
  );
});

/** Calls AdminService through the gateway's Connect route with the admin key. */
async function admin<T>(method: string, body: unknown): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${gatewayHttp}/tributary.admin.v1.AdminService/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

it('runs a suppression and an erasure with each role as its own user: the gateway writes the ledger, the sink erases', async () => {
  const eventId = `evt_roles_${randomBytes(4).toString('hex')}`;
  const userId = `roles-person-${randomBytes(4).toString('hex')}`;
  const ingest = await fetch(`http://127.0.0.1:${gatewayHttp}/tributary.ingest.v1.IngestService/Ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ records: [{ eventId, timestamp: new Date().toISOString(), event: { profileId: `p-${userId}`, userId, track: { name: 'Roles' } } }] }),
  });
  expect(ingest.status).toBe(200);
  type Answer = { regulation: { id: string; status: string; erased?: { streamMessagesErased?: number } } };
  const created = await admin<Answer>('CreateRegulation', { type: 'REGULATION_TYPE_SUPPRESS_WITH_DELETE', subjects: [{ userId }] });
  const finished = await waitFor('the regulation to finish', async () => {
    const { regulation } = await admin<Answer>('GetRegulation', { id: created.regulation.id });
    return regulation.status === 'REGULATION_STATUS_RUNNING' ? undefined : regulation;
  });
  expect(finished.status).toBe('REGULATION_STATUS_FINISHED');
  expect(finished.erased?.streamMessagesErased).toBe(1);
  const rows = (await postAdminQuery(`127.0.0.1:${sinkHttp}`, adminKey, `SELECT count() AS n FROM tributary.events WHERE event_id = '${eventId}'`)) as { n: number }[];
  expect(rows[0].n).toBe(0);
  // Erasing messages is the sink's alone.
  expect(await as('gateway', (nc) => nc.request('$JS.API.STREAM.MSG.DELETE.TRIBUTARY', '{"seq":1}', { timeout: 2000 }))).toMatch(/permissions violation for publish/i);
});

it('runs a replay with each role as its own user: the gateway records the task, the sink reads the stream on a consumer of its own', async () => {
  type Answer = { task: { id: string; status: string; progress?: { read?: number; stored?: number; skipped?: number } } };
  const started = await admin<Answer>('StartReplay', { fromSequence: 1 });
  const ended = await waitFor('the replay to end', async () => {
    const { task } = await admin<Answer>('GetTask', { id: started.task.id });
    return task.status === 'TASK_STATUS_RUNNING' ? undefined : task;
  });
  expect(ended.status).toBe('TASK_STATUS_FINISHED');
  // Every record the stream still holds was read, and each was stored already.
  expect(ended.progress?.read).toBeGreaterThan(0);
  expect([ended.progress?.stored ?? 0, ended.progress?.skipped]).toEqual([0, ended.progress?.read]);
});

/** Connects as `user`, runs `probe`, and gives the error it met (or "allowed"). */
async function as(user: 'gateway' | 'sink', probe: (nc: NatsConnection) => Promise<unknown>): Promise<string> {
  // Replies come to the role's own inboxes, as Tributary's connections take them; so a refusal below is the probe's own.
  const nc = await connect({ servers: nats.url, user, pass: password[user], maxReconnectAttempts: 0, inboxPrefix: `_INBOX.${user}` });
  try {
    await probe(nc);
    return 'allowed';
  } catch (error) {
    return String(error);
  } finally {
    await nc.close();
  }
}

/** Subscribes to `subject` and gives the error that closed the subscription, if the server refused it. */
async function subscribeTo(nc: NatsConnection, subject: string): Promise<void> {
  const sub = nc.subscribe(subject);
  await nc.flush();
  const closed = await Promise.race([
    sub.closed,
    nc
      .flush()
      .then(() => nc.flush())
      .then(() => undefined),
  ]);
  if (closed instanceof Error) throw closed;
}

it('refuses each role what belongs to the other', async () => {
  expect(await as('gateway', (nc) => subscribeTo(nc, 'tributary.>'))).toMatch(/permissions violation/i);
  // Replies, and the records a pull delivers, come to each role's own inboxes; no role may read the other's.
  expect(await as('gateway', (nc) => subscribeTo(nc, '_INBOX.>'))).toMatch(/permissions violation/i);
  expect(await as('gateway', (nc) => subscribeTo(nc, '_INBOX.sink.>'))).toMatch(/permissions violation/i);
  expect(await as('sink', (nc) => subscribeTo(nc, '_INBOX.gateway.>'))).toMatch(/permissions violation/i);
  expect(await as('gateway', (nc) => subscribeTo(nc, '_INBOX.gateway.>'))).toBe('allowed');
  // A stream that exists is the operator's to change: neither role may update it (both started against it above).
  for (const user of ['gateway', 'sink'] as const) {
    expect(await as(user, (nc) => nc.request('$JS.API.STREAM.UPDATE.TRIBUTARY', JSON.stringify({ name: 'TRIBUTARY', subjects: ['tributary.>'], max_age: 1e9 }), { timeout: 2000 }))).toMatch(
      /permissions violation for publish/i,
    );
  }
  expect(await as('gateway', (nc) => nc.request('$JS.API.CONSUMER.MSG.NEXT.TRIBUTARY.tributary-sink', '{"batch":1}', { timeout: 2000 }))).toMatch(/permissions violation for publish/i);
  expect(await as('gateway', (nc) => nc.request('$JS.API.STREAM.PURGE.TRIBUTARY', '', { timeout: 2000 }))).toMatch(/permissions violation for publish/i);
  expect(await as('sink', (nc) => nc.request('tributary.roles.event.track', 'forged', { timeout: 2000 }))).toMatch(/permissions violation for publish/i);
  expect(await as('sink', (nc) => nc.request('$JS.API.STREAM.DELETE.TRIBUTARY', '', { timeout: 2000 }))).toMatch(/permissions violation for publish/i);
});

it('refuses a client without credentials', async () => {
  await expect(connect({ servers: nats.url, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation/i);
});

it('stops a gateway whose settings would change the stream, naming the refusal, and leaves the stream as it was', async () => {
  const maxAge = async () => {
    let age = 0;
    expect(await as('gateway', async (nc) => (age = (await nc.request('$JS.API.STREAM.INFO.TRIBUTARY', '', { timeout: 2000 })).json<{ config: { max_age: number } }>().config.max_age))).toBe(
      'allowed',
    );
    return age;
  };
  const before = await maxAge();
  expect(before).toBeGreaterThan(0);
  const changed = startCli(['gateway'], {
    NATS_URL: nats.url,
    NATS_USER: 'gateway',
    NATS_PASSWORD: password.gateway,
    ...ANY_PORTS,
    TRIBUTARY_STREAM_MAX_AGE: '1h',
    TRIBUTARY_API_KEYS: `${apiKey}=roles`,
  });
  expect(await changed.exited).toBe(1);
  expect(changed.output()).toMatch(/could not start: .*permissions violation/i);
  expect(await maxAge()).toBe(before);
});
