/**
 * The regulations' store and the ledger on a real nats-server: a regulation
 * that one runner ended cannot be put back to RUNNING by a slower runner of
 * it (a second sink), and the ledger's compare-and-set changes keep both of
 * two writers' sources, from any process that watches it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { PolicyLedger } from '../../../src/policy/policy-ledger';
import { RegulationStore, type RegulationState } from '../../../src/policy/regulation-store';
import { suppress } from '../../../src/policy/suppression';
import { NatsLink } from '../../../src/stream/connection';
import { NatsServer } from '../../helpers/nats-server';
import { waitFor } from '../../helpers/wait';

let nats: NatsServer;
let links: NatsLink[];
const bucket = `T_${randomBytes(4).toString('hex')}`;
beforeAll(async () => {
  nats = await NatsServer.start();
  links = [await NatsLink.open(nats.url, 'sink', pino({ level: 'silent' })), await NatsLink.open(nats.url, 'gateway', pino({ level: 'silent' }))];
});
afterAll(async () => {
  for (const link of links ?? []) await link.drain();
  await nats?.stop();
});

it('keeps an ended regulation ended when a slower runner writes its progress', async () => {
  const [first, second] = [await RegulationStore.open(links[0], `${bucket}_REGULATIONS`, 1), await RegulationStore.open(links[1], `${bucket}_REGULATIONS`, 1)];
  const running: RegulationState = { id: randomUUID(), kind: 'DELETE', phase: 'RUNNING', sources: [], expandIdentity: true, subjects: [], createdAt: new Date().toISOString(), progress: 'waiting' };
  await first.create(running);
  expect(await second.put({ ...running, progress: 'erasing' })).toBe(true);
  expect(await first.put({ ...running, phase: 'FINISHED', progress: 'done' })).toBe(true);
  expect(await second.put({ ...running, progress: 'erasing the stored rows' })).toBe(false);
  expect((await first.get(running.id))?.phase).toBe('FINISHED');
});

it('keeps both writers sources when two processes widen one entry at once, and every watcher sees the result', async () => {
  const logger = pino({ level: 'silent' });
  const [a, b] = [await PolicyLedger.open(links[0], `${bucket}_POLICY`, 1, logger), await PolicyLedger.open(links[1], `${bucket}_POLICY`, 1, logger)];
  const hashed = a.hasher.of(`person-${randomBytes(4).toString('hex')}`);
  await Promise.all([a.change(hashed, (e) => suppress(e, ['web'], 'r1')), b.change(hashed, (e) => suppress(e, ['ios'], 'r2')), a.change(hashed, (e) => suppress(e, ['android'], 'r3'))]);
  for (const ledger of [a, b]) {
    const seen = await waitFor('the entry at every watcher', () => (ledger.suppressionOf(hashed)?.sources.length === 3 ? ledger.suppressionOf(hashed) : undefined));
    expect(seen?.sources).toEqual(['android', 'ios', 'web']);
  }
  a.close();
  b.close();
});
