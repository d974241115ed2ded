/**
 * A regulation outlives the processes that run it: with a gateway and a
 * sink as separate processes on one nats-server, the sink is frozen, an
 * erasure is asked for (RUNNING), the sink is killed with SIGKILL, and a new
 * sink on the same data folder finishes it: the person's rows are gone and
 * the other person's stay. The gateway answered before anything was erased,
 * and its suppression held all along.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postAdminQuery } from '../../../src/http/admin-query-client';
import { ANY_PORTS, listeningPorts, startCli, type CliProcess } from '../../helpers/cli-process';
import { NatsServer } from '../../helpers/nats-server';
import { createRegulation, ingestJson, regulationEnd } from '../../helpers/privacy-calls';
import { waitReady } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(180_000);
const apiKey = `crash-api-key-${randomBytes(8).toString('hex')}`;
const adminKey = `crash-admin-key-${randomBytes(8).toString('hex')}`;
const stream = `S_${randomBytes(4).toString('hex')}`;
let dir: string;
let nats: NatsServer;
let gateway: CliProcess;
let sink: CliProcess;
let gatewayUrl: string;
let sinkHttp: number;

const common = () => ({ NATS_URL: nats.url, TRIBUTARY_STREAM: stream, TRIBUTARY_SUBJECT_PREFIX: stream.toLowerCase(), TRIBUTARY_ADMIN_KEY: adminKey, ...ANY_PORTS });
async function startSink(): Promise<void> {
  sink = startCli(['sink'], { ...common(), TRIBUTARY_DATA_DIR: join(dir, 'sink') });
  sinkHttp = (await listeningPorts(sink, false)).http;
  await waitReady(sinkHttp);
}
const count = async (sql: string) => Number(((await postAdminQuery(`127.0.0.1:${sinkHttp}`, adminKey, sql)) as { n: number }[])[0].n);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-privacy-crash-'));
  nats = await NatsServer.start();
  await startSink();
  gateway = startCli(['gateway'], { ...common(), TRIBUTARY_API_KEYS: `${apiKey}=crash` });
  const { http } = await listeningPorts(gateway, true);
  await waitReady(http);
  gatewayUrl = `http://127.0.0.1:${http}`;
});
afterAll(async () => {
  for (const child of [gateway, sink]) child?.child.kill('SIGTERM');
  await Promise.all([gateway?.exited, sink?.exited]);
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('finishes an erasure after the sink that was running it is killed', async () => {
  const [user, kept] = [`crash-${randomBytes(4).toString('hex')}`, `kept-${randomBytes(4).toString('hex')}`];
  const track = (profileId: string, userId = '') => ({ eventId: `evt-${randomBytes(6).toString('hex')}`, timestamp: new Date().toISOString(), event: { profileId, userId, track: { name: 'x' } } });
  expect(await ingestJson(gatewayUrl, apiKey, [track(`p-${user}`, user), track(`p-${user}`, user), track(kept)])).toEqual(Array(3).fill('RECORD_STATUS_ACCEPTED'));
  await waitFor('the records stored', async () => ((await count(`SELECT count() AS n FROM tributary.events WHERE user_id = '${user}' OR profile_id = '${kept}'`)) === 3 ? true : undefined));

  sink.child.kill('SIGSTOP');
  const regulation = await createRegulation(gatewayUrl, adminKey, { type: 'REGULATION_TYPE_SUPPRESS_WITH_DELETE', subjects: [{ userId: user }] });
  expect(regulation.status).toBe('REGULATION_STATUS_RUNNING');
  expect(await ingestJson(gatewayUrl, apiKey, [track(`p-${user}`, user)])).toEqual(['RECORD_STATUS_DROPPED/DROP_REASON_SUPPRESSED']);
  sink.child.kill('SIGKILL');
  await sink.exited;

  await startSink();
  const finished = await regulationEnd(gatewayUrl, adminKey, regulation.id);
  expect(finished.status).toBe('REGULATION_STATUS_FINISHED');
  expect(await count(`SELECT count() AS n FROM tributary.events WHERE user_id = '${user}' OR profile_id = 'p-${user}'`)).toBe(0);
  expect(await count(`SELECT count() AS n FROM tributary.events WHERE profile_id = '${kept}'`)).toBe(1);
  expect(finished.erased?.streamMessagesErased).toBe(2);
});
