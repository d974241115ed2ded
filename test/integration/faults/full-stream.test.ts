/**
 * Fault suite: a stream small enough to fill (TRIBUTARY_STREAM_MAX_BYTES
 * 1 MiB) while no sink runs. The gateway refuses new records with
 * RESOURCE_EXHAUSTED, reason STREAM_FULL and RetryInfo, and drops nothing it
 * holds; once a sink runs and has stored them, it purges what every consumer
 * has acknowledged, the gateway accepts again, and the retrying client gets
 * every record in, each stored exactly once. Seeded (FAULT_SEED).
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { FAULT_SEED, FaultRig, rawDuplicates, reconcile } from '../../helpers/fault-rig';
import { NatsServer } from '../../helpers/nats-server';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(240_000);
const TOTAL = 10_000;

let nats: NatsServer;
let rig: FaultRig;
let jsm: JetStreamManager;
beforeAll(async () => {
  nats = await NatsServer.start();
  rig = await FaultRig.create(nats.url, { TRIBUTARY_STREAM_MAX_BYTES: '1MiB' });
  jsm = await rig.jetStream();
});
afterAll(async () => {
  await rig.close();
  await nats.stop();
});

it('refuses with STREAM_FULL and RetryInfo while full, drops nothing, and accepts again once the sink has stored what it holds', async () => {
  await rig.start('gateway');
  const client = rig.loadClient({ prefix: 'full', total: TOTAL, ratePerSecond: 5_000, giveUpAfterMs: 90_000 });
  const load = client.run();
  await waitFor('the stream to refuse records as full', () => ((client.retried['RESOURCE_EXHAUSTED/STREAM_FULL'] ?? 0) >= 3 ? true : undefined), 60_000, 20);
  const full = (await jsm.streams.info(rig.stream)).state;
  // Full, and nothing dropped to make room: the first record is still there.
  expect(full.first_seq).toBe(1);
  expect(full.messages).toBeLessThan(TOTAL);
  const ackedWhileFull = client.acked;

  await rig.start('sink');
  await load;
  await rig.sinkCaughtUp(jsm);
  await rig.stop('gateway');
  await rig.stop('sink');
  const stored = await rig.stored('full');
  const after = (await jsm.streams.info(rig.stream)).state;
  console.log(
    `full stream (seed ${FAULT_SEED}): ${JSON.stringify({ heldWhenFull: { messages: full.messages, bytes: full.bytes }, ackedWhileFull, tally: client.tally(), retried: client.retried, streamAfter: { first: after.first_seq, last: after.last_seq, messages: after.messages }, storedIds: stored.rows.size, rawDuplicates: rawDuplicates(stored) })}`,
  );
  reconcile(client, stored);
  expect(client.tally().failed).toBe(0);
  expect(after.first_seq).toBeGreaterThan(1);
});
