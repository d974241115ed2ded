/**
 * Suppression against a real `serve` and a second `tributary gateway`
 * process on one nats-server: a suppressed person's records are DROPPED at
 * both gateways on the next request, counted, never written to the stream;
 * a scoped regulation drops only its sources' records; the identity group
 * is covered, and so is an id the identity stage links to the person later;
 * an unsuppression lets records in again. The admin API takes the admin
 * key only and names every field of a bad request.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { AdminServiceClient, RegulationType } from '../../../src/gen/tributary/admin/v1/admin_service';
import type { CliProcess } from '../../helpers/cli-process';
import { NatsServer } from '../../helpers/nats-server';
import {
  connectCall,
  createRegulation,
  ingestJson,
  regulate,
  regulationEnd,
  identifyJson as identify,
  metricValue as metric,
  startGatewayProcess,
  trackJson as track,
  unique,
} from '../../helpers/privacy-calls';
import { ServeProcess } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(120_000);
/** How soon a suppression must be in force at every gateway. */
const PROPAGATION_MS = 2000;
let dir: string;
let nats: NatsServer;
let serve: ServeProcess;
let second: CliProcess;
let secondUrl: string;
const otherKey = `other-source-key-${randomBytes(8).toString('hex')}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-suppression-'));
  writeFileSync(join(dir, 'keys'), `sha256:${createHash('sha256').update(otherKey).digest('hex')}=other\n`);
  nats = await NatsServer.start();
  const stream = `S_${randomBytes(4).toString('hex')}`;
  serve = await ServeProcess.start(nats.url, { TRIBUTARY_STREAM: stream, TRIBUTARY_SUBJECT_PREFIX: stream.toLowerCase(), TRIBUTARY_API_KEYS_FILE: join(dir, 'keys') });
  ({ process: second, url: secondUrl } = await startGatewayProcess({
    NATS_URL: nats.url,
    TRIBUTARY_STREAM: stream,
    TRIBUTARY_SUBJECT_PREFIX: stream.toLowerCase(),
    TRIBUTARY_API_KEYS: `${serve.apiKey}=sdk_test`,
    TRIBUTARY_API_KEYS_FILE: join(dir, 'keys'),
    TRIBUTARY_ADMIN_KEY: serve.adminKey,
  }));
});
afterAll(async () => {
  second?.child.kill('SIGTERM');
  await second?.exited;
  await serve?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const dropped = 'RECORD_STATUS_DROPPED/DROP_REASON_SUPPRESSED';
const accepted = 'RECORD_STATUS_ACCEPTED';

it('drops a suppressed person at every gateway from the next request on, and nothing of them reaches the stream', async () => {
  const [profile, user] = [unique('p'), unique('u')];
  const streamBefore = (await ingestJson(serve.httpUrl, serve.apiKey, [track(profile, user)]))[0];
  expect(streamBefore).toBe(accepted);
  const regulation = await createRegulation(serve.httpUrl, serve.adminKey, { type: 'REGULATION_TYPE_SUPPRESS', subjects: [{ userId: user }], expandIdentity: false });
  // Answered while the privacy stage still has it (its audit row): the named ids are suppressed already.
  expect(regulation.status).toBe('REGULATION_STATUS_RUNNING');
  // At the gateway that took the regulation: on the next request.
  expect(await ingestJson(serve.httpUrl, serve.apiKey, [track(unique('another'), user), track(profile)])).toEqual([dropped, accepted]);
  // At the other gateway: within the propagation bound.
  await waitFor('the suppression at the second gateway', async () => ((await ingestJson(secondUrl, serve.apiKey, [track(unique('p'), user)]))[0] === dropped ? true : undefined), PROPAGATION_MS);
  expect(await metric(serve.httpUrl, 'tributary_records_dropped_total{source="sdk_test",reason="suppressed"}')).toBe(1);
  const stored = await waitFor('the accepted records stored', async () => {
    const [{ n }] = await serve.query<{ n: number }>(`SELECT count() AS n FROM tributary.events WHERE profile_id = '${profile}'`);
    return n === 2 ? n : undefined;
  });
  expect(stored).toBe(2);
  const [{ n: ofUser }] = await serve.query<{ n: number }>(`SELECT count() AS n FROM tributary.events WHERE user_id = '${user}'`);
  expect(ofUser).toBe(1);
});

it('drops only the named sources when scoped, and lets records in again when unsuppressed', async () => {
  const user = unique('u');
  await regulate(serve.httpUrl, serve.adminKey, { type: 'REGULATION_TYPE_SUPPRESS', subjects: [{ userId: user }], sourceIds: ['other'], expandIdentity: false });
  expect(await ingestJson(serve.httpUrl, otherKey, [track(unique('p'), user)])).toEqual([dropped]);
  expect(await ingestJson(serve.httpUrl, serve.apiKey, [track(unique('p'), user)])).toEqual([accepted]);
  await regulate(serve.httpUrl, serve.adminKey, { type: 'REGULATION_TYPE_SUPPRESS', subjects: [{ userId: user }], expandIdentity: false });
  expect(await ingestJson(serve.httpUrl, serve.apiKey, [track(unique('p'), user)])).toEqual([dropped]);
  await regulate(serve.httpUrl, serve.adminKey, { type: 'REGULATION_TYPE_UNSUPPRESS', subjects: [{ userId: user }], sourceIds: ['sdk_test'], expandIdentity: false });
  expect(await ingestJson(serve.httpUrl, serve.apiKey, [track(unique('p'), user)])).toEqual([accepted]);
  expect(await ingestJson(serve.httpUrl, otherKey, [track(unique('p'), user)])).toEqual([dropped]);
  await regulate(serve.httpUrl, serve.adminKey, { type: 'REGULATION_TYPE_UNSUPPRESS', subjects: [{ userId: user }], expandIdentity: false });
  expect(await ingestJson(serve.httpUrl, otherKey, [track(unique('p'), user)])).toEqual([accepted]);
});

it('lets the later of two regulations of a person win, whatever order the privacy stage finishes them in', async () => {
  const [phone, user] = [unique('phone'), unique('u')];
  expect(await ingestJson(serve.httpUrl, serve.apiKey, [identify(phone, user)])).toEqual([accepted]);
  await waitFor('the identify linked', async () =>
    (await serve.query<{ n: number }>(`SELECT count() AS n FROM tributary.identity_links WHERE right_node = 'user:${user}'`))[0].n === 1 ? true : undefined,
  );
  // A suppression that expands (the stage runs it), then at once an unsuppression of the same person.
  const first = await createRegulation(serve.httpUrl, serve.adminKey, { type: 'REGULATION_TYPE_SUPPRESS', subjects: [{ userId: user }] });
  const second = await createRegulation(serve.httpUrl, serve.adminKey, { type: 'REGULATION_TYPE_UNSUPPRESS', subjects: [{ userId: user }] });
  for (const id of [first.id, second.id]) expect((await regulationEnd(serve.httpUrl, serve.adminKey, id)).status).toBe('REGULATION_STATUS_FINISHED');
  expect(await ingestJson(serve.httpUrl, serve.apiKey, [track(phone, user), track(phone)])).toEqual([accepted, accepted]);
  // Every request has its audit row.
  const audited = await serve.query<{ n: number }>(`SELECT count() AS n FROM tributary.regulations FINAL WHERE regulation_id IN ('${first.id}', '${second.id}') AND status = 'FINISHED'`);
  expect(Number(audited[0].n)).toBe(2);
});

it("covers the person's identity group, and an id the identity stage links to them afterwards", async () => {
  const [phone, laptop, user] = [unique('phone'), unique('laptop'), unique('u')];
  expect(await ingestJson(serve.httpUrl, serve.apiKey, [identify(phone, user)])).toEqual([accepted]);
  await waitFor('the identify linked', async () =>
    (await serve.query<{ n: number }>(`SELECT count() AS n FROM tributary.identity_links WHERE right_node = 'user:${user}'`))[0].n === 1 ? true : undefined,
  );
  // Suppressed for the other source only, so that this source's records still link.
  const regulation = await regulate(serve.httpUrl, serve.adminKey, { type: 'REGULATION_TYPE_SUPPRESS', subjects: [{ userId: user }], sourceIds: ['other'] });
  expect(regulation.coveredIdCount).toBe(2);
  expect(await ingestJson(serve.httpUrl, otherKey, [track(phone)])).toEqual([dropped]);
  expect(await ingestJson(serve.httpUrl, otherKey, [track(laptop)])).toEqual([accepted]);
  // A new device identified as the person, through a source the suppression does not cover.
  expect(await ingestJson(serve.httpUrl, serve.apiKey, [identify(laptop, user)])).toEqual([accepted]);
  await waitFor('the new device suppressed', async () => ((await ingestJson(serve.httpUrl, otherKey, [track(laptop)]))[0] === dropped ? true : undefined));
});

it('takes the admin key only, and names every field of a bad request', async () => {
  const path = '/tributary.admin.v1.AdminService/CreateRegulation';
  const good = { type: 'REGULATION_TYPE_SUPPRESS', subjects: [{ userId: 'x' }] };
  expect((await connectCall(serve.httpUrl, path, serve.apiKey, good)).status).toBe(403);
  expect((await connectCall(serve.httpUrl, path, undefined, good)).body.code).toBe('unauthenticated');
  const bad = await connectCall(serve.httpUrl, path, serve.adminKey, { type: 'REGULATION_TYPE_UNSPECIFIED', subjects: [{}, { email: '' }], sourceIds: ['nope'] });
  expect(bad.status).toBe(400);
  expect(bad.body.message).toMatch(/breaks 4 rule/);
  const missing = await connectCall(serve.httpUrl, '/tributary.admin.v1.AdminService/GetRegulation', serve.adminKey, { id: '00000000-0000-0000-0000-000000000000' });
  expect([missing.status, missing.body.code]).toEqual([404, 'not_found']);
  // The tasks as well.
  const replay = '/tributary.admin.v1.AdminService/StartReplay';
  expect((await connectCall(serve.httpUrl, replay, serve.apiKey, { fromSequence: 1 })).status).toBe(403);
  const badReplay = await connectCall(serve.httpUrl, replay, serve.adminKey, { calls: ['screen'], sourceIds: ['nope'] });
  expect([badReplay.status, badReplay.body.message]).toEqual([400, expect.stringMatching(/breaks 3 rule/)]);
  const noTask = await connectCall(serve.httpUrl, '/tributary.admin.v1.AdminService/CancelTask', serve.adminKey, { id: '00000000-0000-0000-0000-000000000000' });
  expect([noTask.status, noTask.body.code]).toEqual([404, 'not_found']);
  const redrive = '/tributary.admin.v1.AdminService/RedriveDeadLetters';
  expect((await connectCall(serve.httpUrl, redrive, serve.apiKey, {})).status).toBe(403);
  expect((await connectCall(serve.httpUrl, redrive, undefined, {})).status).toBe(401);
  const badRedrive = await connectCall(serve.httpUrl, redrive, serve.adminKey, { reasons: ['LOST'], rate: 1_000_000 });
  expect([badRedrive.status, badRedrive.body.message]).toEqual([400, expect.stringMatching(/redrive request breaks 2 rule/)]);

  // The same over gRPC.
  const client = new AdminServiceClient(`127.0.0.1:${serve.grpcPort}`, credentials.createInsecure());
  const call = (key: string | undefined) =>
    new Promise<number>((resolve) => {
      const metadata = new Metadata();
      if (key !== undefined) metadata.set('authorization', `Bearer ${key}`);
      client.createRegulation({ type: RegulationType.SUPPRESS, subjects: [], sourceIds: [] }, metadata, (error: ServiceError | null) => resolve(error?.code ?? status.OK));
    });
  expect(await call(serve.apiKey)).toBe(status.PERMISSION_DENIED);
  expect(await call(undefined)).toBe(status.UNAUTHENTICATED);
  expect(await call(serve.adminKey)).toBe(status.INVALID_ARGUMENT);
  client.close();
});
