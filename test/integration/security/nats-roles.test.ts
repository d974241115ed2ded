/**
 * The least-privilege NATS users of deploy/nats/roles.conf, on a real
 * nats-server: a `tributary gateway` and a `tributary sink` each connect as
 * their own user and a record goes all the way to ClickHouse; then each user
 * is shown to be refused what belongs to the other role (the gateway may not
 * read the stream or fetch from the sink's consumer; the sink may not publish
 * records), and a client without credentials is refused outright.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { postAdminQuery } from '../../../src/http/admin-query-client';
import { freePort } from '../../../src/stream/free-port';
import { findNatsServer, NatsServerProcess } from '../../../src/stream/nats-server-process';
import { startCli, type CliProcess } from '../../helpers/cli-process';
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
  nats = new NatsServerProcess(await freePort(), join(dir, 'store'), findNatsServer() ?? 'nats-server', 20_000, ['-c', join(dir, 'nats.conf')]);
  await nats.resume();
  [gatewayHttp, sinkHttp] = [await freePort(), await freePort()];
  const common = { NATS_URL: nats.url, TRIBUTARY_LOG_LEVEL: 'warn' };
  roles.push(startCli(['sink'], { ...common, NATS_USER: 'sink', NATS_PASSWORD: password.sink, TRIBUTARY_DATA_DIR: join(dir, 'sink'), TRIBUTARY_HTTP_ADDR: `127.0.0.1:${sinkHttp}`, TRIBUTARY_ADMIN_KEY: adminKey }));
  roles.push(startCli(['gateway'], { ...common, NATS_USER: 'gateway', NATS_PASSWORD: password.gateway, TRIBUTARY_GRPC_ADDR: `127.0.0.1:${await freePort()}`, TRIBUTARY_HTTP_ADDR: `127.0.0.1:${gatewayHttp}`, TRIBUTARY_API_KEYS: `${apiKey}=roles` }));
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
  await waitFor('the record in ClickHouse', async () => ((await postAdminQuery(`127.0.0.1:${sinkHttp}`, adminKey, `SELECT count() AS n FROM tributary.events WHERE event_id = '${eventId}'`)) as { n: number }[])[0].n === 1 || undefined);
});

/** Connects as `user`, runs `probe`, and gives the error it met (or "allowed"). */
async function as(user: 'gateway' | 'sink', probe: (nc: NatsConnection) => Promise<unknown>): Promise<string> {
  const nc = await connect({ servers: nats.url, user, pass: password[user], maxReconnectAttempts: 0 });
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
  const closed = await Promise.race([sub.closed, nc.flush().then(() => nc.flush()).then(() => undefined)]);
  if (closed instanceof Error) throw closed;
}

it("refuses each role what belongs to the other", async () => {
  expect(await as('gateway', (nc) => subscribeTo(nc, 'tributary.>'))).toMatch(/permissions violation/i);
  expect(await as('gateway', (nc) => nc.request('$JS.API.CONSUMER.MSG.NEXT.TRIBUTARY.tributary-sink', '{"batch":1}', { timeout: 2000 }))).toMatch(/permissions violation/i);
  expect(await as('gateway', (nc) => nc.request('$JS.API.STREAM.PURGE.TRIBUTARY', '', { timeout: 2000 }))).toMatch(/permissions violation/i);
  expect(await as('sink', (nc) => nc.request('tributary.roles.event.track', 'forged', { timeout: 2000 }))).toMatch(/permissions violation/i);
  expect(await as('sink', (nc) => nc.request('$JS.API.STREAM.DELETE.TRIBUTARY', '', { timeout: 2000 }))).toMatch(/permissions violation/i);
});

it('refuses a client without credentials', async () => {
  await expect(connect({ servers: nats.url, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation/i);
});
