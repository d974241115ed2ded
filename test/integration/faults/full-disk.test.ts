/**
 * Fault suite: full disks, each a tmpfs of its own (test/helpers/small-disk.ts)
 * filled up under steady load with client retries of the same ids, and
 * freed later:
 *  - ClickHouse's data folder (the sink's): the sink stops acking, /readyz
 *    names the cause, nothing becomes a dead letter for it, and the backlog
 *    is stored once space returns;
 *  - the NATS store (nats-server 2.10: Debian bookworm's 2.9.10 never answers
 *    a publish again once its disk was full, docs/faults.md): the gateway
 *    refuses with RESOURCE_EXHAUSTED and RetryInfo, and accepts again by
 *    itself once space returns.
 * Then the books are reconciled: nothing acknowledged lost, each
 * acknowledged record stored once, no raw duplicates. Skipped, with the
 * reason printed, only where the machine refuses to mount a tmpfs.
 */
import { join } from 'node:path';
import { queryEmbedded } from '../../helpers/cli-process';
import { FAULT_SEED, FaultRig, rawDuplicates, reconcile } from '../../helpers/fault-rig';
import { NatsServer, natsServer210 } from '../../helpers/nats-server';
import { mountRefused, SmallDisk } from '../../helpers/small-disk';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(240_000);

const refused = mountRefused();
if (refused !== undefined) console.warn(`SKIPPED: the full-disk scenarios need to mount a tmpfs: ${refused}`);
const itWithMounts = refused === undefined ? it : it.skip;

/** What a disk keeps free once "full": less than any insert or message block needs. */
const LEFT_FREE = 64 * 1024;

let nats: NatsServer | undefined;
let rig: FaultRig | undefined;
let disk: SmallDisk | undefined;
afterEach(async () => {
  disk?.unmount();
  await rig?.close();
  await nats?.stop();
  [disk, rig, nats] = [undefined, undefined, undefined];
});

itWithMounts("stops acking while ClickHouse's disk is full, says why, dead-letters nothing, and stores the backlog once space returns", async () => {
  nats = await NatsServer.start();
  rig = await FaultRig.create(nats.url, { TRIBUTARY_SINK_STALL_AFTER: '2s' });
  disk = SmallDisk.mount(256, rig.dataDir);
  await rig.start('sink');
  await rig.start('gateway');
  const r = rig;
  const client = r.loadClient({ prefix: 'chfull', total: 6_000, ratePerSecond: 300 });
  const load = client.run();
  await client.untilAcked(900);
  disk.fill(LEFT_FREE);
  const jsm = await r.jetStream();
  const notReady = await waitFor(
    "the sink's /readyz to name the full disk",
    async () => {
      const ready = await r.readyz('sink');
      return ready?.status === 503 && /NOT_ENOUGH_SPACE|No space left|not enough space/i.test(JSON.stringify(ready.body)) ? ready.body : undefined;
    },
    60_000,
    200,
  );
  const held = await waitFor(
    'records to wait unacked for the sink',
    async () => {
      const info = await jsm.consumers.info(r.stream, r.sinkConsumer);
      return info.num_pending + info.num_ack_pending > 1_000 ? info.num_pending + info.num_ack_pending : undefined;
    },
    60_000,
    200,
  );
  disk.free();
  await load;
  await r.sinkCaughtUp(jsm);
  await r.stop('gateway');
  await r.stop('sink');
  const stored = await r.stored('chfull');
  const [letters] = await queryEmbedded<{ n: string }>(r.dataDir, 'SELECT count() AS n FROM tributary.dead_letters');
  console.log(
    `ClickHouse disk full (seed ${FAULT_SEED}): ${JSON.stringify({ readyz: notReady, heldWhileFull: held, deadLetters: Number(letters.n), tally: client.tally(), retried: client.retried, storedIds: stored.rows.size, rawDuplicates: rawDuplicates(stored) })}`,
  );
  expect(Number(letters.n)).toBe(0);
  reconcile(client, stored);
  expect(client.tally().failed).toBe(0);
});

itWithMounts("refuses with RESOURCE_EXHAUSTED and RetryInfo while the NATS store's disk is full, and accepts again once space returns", async () => {
  const storeDisk = (disk = SmallDisk.mount(64));
  nats = await NatsServer.start(0, { binary: natsServer210(), storeDir: join(storeDisk.folder, 'store') });
  rig = await FaultRig.create(nats.url);
  await rig.start('sink');
  await rig.start('gateway');
  const client = rig.loadClient({ prefix: 'natsfull', total: 6_000, ratePerSecond: 300 });
  const load = client.run();
  await client.untilAcked(900);
  storeDisk.fill(LEFT_FREE);
  const refusals = await waitFor(
    'refusals for the full store',
    () => ((client.retried['RESOURCE_EXHAUSTED/STREAM_FULL'] ?? 0) >= 5 ? client.retried['RESOURCE_EXHAUSTED/STREAM_FULL'] : undefined),
    60_000,
    100,
  );
  const freedAt = Date.now();
  storeDisk.free();
  const acceptingMs = await waitFor('the gateway to accept again', () => client.acceptingAgainMs(freedAt), 60_000, 100);
  await load;
  await rig.sinkCaughtUp(await rig.jetStream());
  await rig.stop('gateway');
  await rig.stop('sink');
  const stored = await rig.stored('natsfull');
  console.log(
    `NATS store full (seed ${FAULT_SEED}): ${JSON.stringify({ refusalsWhileFull: refusals, acceptingAfterFreeMs: acceptingMs, tally: client.tally(), retried: client.retried, storedIds: stored.rows.size, rawDuplicates: rawDuplicates(stored) })}`,
  );
  reconcile(client, stored);
  expect(client.tally().failed).toBe(0);
});
