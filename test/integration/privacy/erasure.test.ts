/**
 * Erasure against a real `serve` on a test nats-server: a DELETE by email
 * removes the person (both devices, found through identity) from events,
 * profiles, the identity graph and dead letters, erases their stream
 * messages (a future-dated event's too), and afterwards no file of the data
 * folders (ClickHouse's and the NATS store) holds a byte of their ids or of
 * what they sent. It writes its audit row with hashes only, changes nothing
 * when run again, does not suppress, and a replay of the whole stream into a
 * new sink brings nothing of them back.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsServer } from '../../helpers/nats-server';
import { ingestJson, regulate } from '../../helpers/privacy-calls';
import { ServeProcess } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(180_000);
let nats: NatsServer;
let serve: ServeProcess;
const stream = `S_${randomBytes(4).toString('hex')}`;
const env = { TRIBUTARY_STREAM: stream, TRIBUTARY_SUBJECT_PREFIX: stream.toLowerCase() };

beforeAll(async () => {
  nats = await NatsServer.start();
  serve = await ServeProcess.start(nats.url, env);
});
afterAll(async () => {
  await serve?.stop();
  await nats?.stop();
});

const tag = randomBytes(4).toString('hex');
const person = { phone: `phone-${tag}`, laptop: `laptop-${tag}`, email: `erase-${tag}@example.com`, marker: `secret-${tag}` };
const keep = { profile: `keep-${tag}`, user: `keep-user-${tag}`, marker: `kept-${tag}` };
let n = 0;
const at = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString();
const record = (event: object, offsetMs = 0) => ({ eventId: `evt-${tag}-${++n}`, timestamp: at(offsetMs), event });

/** Every file under `dir` whose bytes contain one of `needles`, with the needle. */
function filesHolding(dir: string, needles: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (path: string): void => {
    for (const name of readdirSync(path)) {
      const file = join(path, name);
      const stat = statSync(file, { throwIfNoEntry: false });
      if (stat === undefined) continue;
      if (stat.isDirectory()) walk(file);
      else {
        const bytes = (() => {
          try {
            return readFileSync(file);
          } catch {
            return Buffer.alloc(0);
          }
        })();
        for (const needle of needles) if (bytes.includes(needle)) found.push(`${file}: ${needle}`);
      }
    }
  };
  walk(dir);
  return found;
}

const count = async (sql: string) => Number((await serve.query<{ n: number }>(sql))[0].n);

it('erases a person from every store and leaves no byte of them in the data folders; nothing brings them back', async () => {
  const sent = await ingestJson(serve.httpUrl, serve.apiKey, [
    record({ profileId: person.phone, userId: person.email, identify: { userAttributes: { name: person.marker } } }),
    record({ profileId: person.phone, track: { name: 'Bought', data: { note: person.marker } } }),
    record({ profileId: person.phone, page: { url: `https://example.com/${person.marker}` } }),
    record({ profileId: person.phone, consent: { action: 'CONSENT_ACTION_ACCEPT', category: 'email', email: person.email, validUntil: at(86_400_000), source: 'form' } }),
    // Future-dated (up to 24 h ahead is accepted).
    record({ profileId: person.phone, track: { name: 'Later' } }, 20 * 3600_000),
    record({ profileId: person.laptop, userId: person.email, identify: {} }),
    record({ profileId: keep.profile, track: { name: 'Kept', data: { note: keep.marker } } }),
    record({ profileId: keep.profile, userId: keep.user, identify: {} }),
  ]);
  expect(sent).toEqual(Array(8).fill('RECORD_STATUS_ACCEPTED'));
  await waitFor('both persons identified', async () => ((await count(`SELECT count() AS n FROM tributary.identity_links WHERE left_node LIKE '%${tag}'`)) === 3 ? true : undefined));
  // Links the identified phone to the other identified person: refused, so a dead letter that holds the phone's record.
  expect(await ingestJson(serve.httpUrl, serve.apiKey, [record({ profileId: person.phone, userId: keep.user, identify: {} })])).toEqual(['RECORD_STATUS_ACCEPTED']);
  await waitFor('every record stored, the refused link dead-lettered, and the consent spread', async () =>
    (await count(`SELECT count() AS n FROM tributary.events WHERE event_id LIKE 'evt-${tag}-%'`)) === 9 &&
    (await count(`SELECT count() AS n FROM tributary.dead_letters WHERE reason = 'IDENTITY_LINK_REFUSED'`)) === 1 &&
    (await count(`SELECT count() AS n FROM tributary.consent_decisions WHERE subject = '${person.phone}'`)) > 0
      ? true
      : undefined,
  );

  const regulation = await regulate(serve.httpUrl, serve.adminKey, { type: 'REGULATION_TYPE_DELETE', subjects: [{ email: person.email }] });
  expect(regulation.status).toBe('REGULATION_STATUS_FINISHED');
  const rows = Object.fromEntries((regulation.erased?.rowsDeleted ?? []).map((t) => [t.table, t.rows]));
  expect(rows.events).toBe(7);
  // A profile's aggregates are one row per insert until merges fold them.
  expect(rows.profiles).toBeGreaterThanOrEqual(2);
  expect(regulation.erased?.streamMessagesErased).toBe(7);
  expect(regulation.erased?.deadLettersRemoved).toBe(1);

  const ids = `('${person.phone}', '${person.laptop}', '${person.email}')`;
  for (const [table, where] of [
    ['events', `profile_id IN ${ids} OR user_id IN ${ids} OR consent_email IN ${ids}`],
    ['profiles', `profile_id IN ${ids}`],
    ['profile_masters', `profile_id IN ${ids} OR master_id IN ${ids}`],
    ['identity_links', `left_node IN ('profile:${person.phone}', 'profile:${person.laptop}') OR right_node = 'user:${person.email}'`],
    ['identity_edges', `node IN ('profile:${person.phone}', 'profile:${person.laptop}', 'user:${person.email}')`],
    ['dead_letters', `reason = 'IDENTITY_LINK_REFUSED'`],
    ['consent_decisions', `subject IN ${ids}`],
  ]) {
    expect([table, await count(`SELECT count() AS n FROM tributary.${table} WHERE ${where}`)]).toEqual([table, 0]);
  }
  expect(await count(`SELECT count() AS n FROM tributary.events WHERE profile_id = '${keep.profile}'`)).toBe(2);

  // The bytes leave the disk once the replaced parts are removed (about a second after the mutation).
  const needles = [person.email, person.phone, person.laptop, person.marker];
  const folders = [serve.dataDir, nats.storeDir];
  await waitFor('no file to hold the person', () => (folders.flatMap((dir) => filesHolding(dir, needles)).length === 0 ? true : undefined), 30_000, 250);
  // The search finds what is there: the other person's record is in the stream's store.
  expect(filesHolding(nats.storeDir, [keep.marker]).length).toBeGreaterThan(0);

  // The audit trail keeps the request with hashes, never the ids.
  const [audit] = await serve.query<{ type: string; status: string; subject_hashes: string[]; stream_messages_erased: number }>(
    `SELECT type, status, subject_hashes, stream_messages_erased FROM tributary.regulations FINAL WHERE regulation_id = '${regulation.id}'`,
  );
  expect(audit).toEqual({ type: 'DELETE', status: 'FINISHED', subject_hashes: [expect.stringMatching(/^[0-9a-f]{64}$/)], stream_messages_erased: 7 });

  // Again: nothing more to erase.
  const again = await regulate(serve.httpUrl, serve.adminKey, { type: 'REGULATION_TYPE_DELETE', subjects: [{ email: person.email }] });
  expect([again.status, again.erased?.streamMessagesErased ?? 0, (again.erased?.rowsDeleted ?? []).every((t) => (t.rows ?? 0) === 0)]).toEqual(['REGULATION_STATUS_FINISHED', 0, true]);

  // A replay of the whole stream into a new sink (its consumers reset, a new ClickHouse) stores the other person, and not them.
  await serve.stop();
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  for await (const consumer of jsm.consumers.list(stream)) await jsm.consumers.delete(stream, consumer.name);
  await nc.close();
  serve = await ServeProcess.start(nats.url, env);
  await waitFor('the replay to store the other person', async () => ((await count(`SELECT count() AS n FROM tributary.events WHERE profile_id = '${keep.profile}'`)) === 2 ? true : undefined));
  expect(await count(`SELECT count() AS n FROM tributary.events WHERE event_id LIKE 'evt-${tag}-%'`)).toBe(2);

  // DELETE alone does not suppress: the person's new records are stored again.
  expect(await ingestJson(serve.httpUrl, serve.apiKey, [record({ profileId: person.phone, track: { name: 'Back' } })])).toEqual(['RECORD_STATUS_ACCEPTED']);
});
