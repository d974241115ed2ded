/**
 * A regulation outlives the processes that run it: with a gateway and a
 * sink as separate processes on one nats-server, the sink is killed with
 * SIGKILL, once before its privacy stage has seen a regulation (frozen when
 * it was made) and once in the middle of erasing the person's stream
 * messages, and a new sink on the same data folder finishes it: the
 * person's rows and messages are gone and the other person's stay. The
 * gateway answered before anything was erased, and its suppression held all
 * along.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { postAdminQuery } from '../../../src/http/admin-query-client';
import { ANY_PORTS, listeningPorts, startCli, type CliProcess } from '../../helpers/cli-process';
import { NatsServer } from '../../helpers/nats-server';
import { connectCall, createRegulation, ingestJson, regulationEnd, type RegulationJson } from '../../helpers/privacy-calls';
import { waitReady } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(240_000);
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
/** How many messages the stream holds now. */
async function streamMessages(): Promise<number> {
  const nc = await connect({ servers: nats.url });
  try {
    return (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
  } finally {
    await nc.close();
  }
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

it('finishes an erasure after the sink is killed in the middle of erasing the stream, and leaves none of the messages', async () => {
  const [user, kept] = [`mid-${randomBytes(4).toString('hex')}`, `kept-${randomBytes(4).toString('hex')}`];
  const track = (profileId: string, userId = '') => ({ eventId: `evt-${randomBytes(6).toString('hex')}`, timestamp: new Date().toISOString(), event: { profileId, userId, track: { name: 'x' } } });
  // Enough of the person's messages that erasing them takes a while (the server erases one at a time).
  const PERSON = 3000;
  for (let sent = 0; sent < PERSON; sent += 500) {
    expect(
      new Set(
        await ingestJson(
          gatewayUrl,
          apiKey,
          Array.from({ length: 500 }, () => track(`p-${user}`, user)),
        ),
      ),
    ).toEqual(new Set(['RECORD_STATUS_ACCEPTED']));
  }
  expect(await ingestJson(gatewayUrl, apiKey, [track(kept)])).toEqual(['RECORD_STATUS_ACCEPTED']);
  await waitFor(
    'the records stored',
    async () => ((await count(`SELECT count() AS n FROM tributary.events WHERE user_id = '${user}' OR profile_id = '${kept}'`)) === PERSON + 1 ? true : undefined),
    60_000,
  );
  const messagesBefore = await streamMessages();

  const regulation = await createRegulation(gatewayUrl, adminKey, { type: 'REGULATION_TYPE_DELETE', subjects: [{ userId: user }] });
  // Killed once some of the person's messages are erased, and not all.
  await waitFor('the erasure of the stream to be under way', async () => (messagesBefore - (await streamMessages()) >= 100 ? true : undefined), 60_000, 10);
  sink.child.kill('SIGKILL');
  await sink.exited;
  const cut = (await connectCall(gatewayUrl, '/tributary.admin.v1.AdminService/GetRegulation', adminKey, { id: regulation.id })).body.regulation as RegulationJson;
  expect(cut.status).toBe('REGULATION_STATUS_RUNNING');
  expect(messagesBefore - (await streamMessages())).toBeLessThan(PERSON);

  await startSink();
  const finished = await regulationEnd(gatewayUrl, adminKey, regulation.id, 120_000);
  expect([finished.status, finished.error]).toEqual(['REGULATION_STATUS_FINISHED', undefined]);
  expect(await count(`SELECT count() AS n FROM tributary.events WHERE user_id = '${user}' OR profile_id = 'p-${user}'`)).toBe(0);
  expect(await count(`SELECT count() AS n FROM tributary.events WHERE profile_id = '${kept}'`)).toBe(1);
  // Every message of the person is gone, those the killed sink erased and those the new one did.
  expect(messagesBefore - (await streamMessages())).toBe(PERSON);
});
