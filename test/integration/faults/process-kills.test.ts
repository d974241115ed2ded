/**
 * Fault suite: the gateway, the sink and nats-server as separate processes,
 * each killed with SIGKILL under steady load and started again, while a
 * client retries with the same event ids. Afterwards the client's books are
 * reconciled against ClickHouse: every record acknowledged is stored exactly
 * once, and every answer it got is in the accounting. Seeded (FAULT_SEED) so a failure replays the same records.
 */
import { FAULT_SEED, FaultRig, rawDuplicates, reconcile, reconcileAccounting } from '../../helpers/fault-rig';
import { NatsServer } from '../../helpers/nats-server';

jest.setTimeout(240_000);

let nats: NatsServer;
let rig: FaultRig;
beforeAll(async () => {
  nats = await NatsServer.start();
  rig = await FaultRig.create(nats.url);
});
afterAll(async () => {
  await rig.close();
  await nats.stop();
});

it('loses nothing acknowledged when the gateway, the sink and nats-server are each killed under load', async () => {
  await rig.start('sink');
  await rig.start('gateway');
  const client = rig.loadClient({ prefix: 'kills', total: 12_000, ratePerSecond: 600 });
  const load = client.run();
  const restarts: { [part: string]: number } = {};
  const killAndRestart = async (part: string, kill: () => Promise<void>, start: () => Promise<void>) => {
    const at = Date.now();
    await kill();
    await start();
    restarts[part] = Date.now() - at;
  };

  await client.untilAcked(2_000);
  await killAndRestart(
    'gateway',
    () => rig.kill('gateway'),
    () => rig.start('gateway'),
  );
  await client.untilAcked(5_000);
  await killAndRestart(
    'sink',
    () => rig.kill('sink'),
    () => rig.start('sink'),
  );
  await client.untilAcked(8_000);
  await killAndRestart(
    'nats-server',
    () => nats.kill(),
    () => nats.resume(),
  );
  await load;

  await rig.sinkCaughtUp(await rig.jetStream());
  await rig.stop('gateway');
  await rig.stop('sink');
  const stored = await rig.stored('kills');
  const accounting = await rig.accounting();
  console.log(
    `process kills (seed ${FAULT_SEED}): ${JSON.stringify({ tally: client.tally(), answered: client.answered, accounting, retried: client.retried, restartMs: restarts, storedIds: stored.rows.size, rawDuplicates: rawDuplicates(stored) })}`,
  );
  reconcile(client, stored);
  reconcileAccounting(client, accounting);
  expect(client.tally().failed).toBe(0);
});
