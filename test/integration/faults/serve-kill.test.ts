/**
 * Fault suite: `tributary serve` (gateway, sink and its own nats-server in
 * one process) killed with SIGKILL under steady load, as the OOM killer
 * would, and started again on the same data folder (the orphaned
 * nats-server is stopped); then stopped with SIGTERM under load and started
 * again. Every record the client saw acknowledged is stored exactly once.
 * Seeded (FAULT_SEED).
 */
import { processesWith } from '../../helpers/processes';
import { FAULT_SEED, FaultRig, rawDuplicates, reconcile } from '../../helpers/fault-rig';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(240_000);

let rig: FaultRig;
beforeAll(async () => {
  rig = await FaultRig.create('');
});
afterAll(async () => {
  await rig.close();
});

it('loses nothing acknowledged when serve is killed, or stopped, under load and started again', async () => {
  await rig.start('serve');
  const natsServers = () => processesWith(rig.dataDir).filter((pid) => processesWith('nats-server').includes(pid));
  const client = rig.loadClient({ prefix: 'serve', total: 10_000, ratePerSecond: 600 });
  const load = client.run();
  await client.untilAcked(3_000);
  const killedAt = Date.now();
  await rig.kill('serve');
  expect(natsServers()).toHaveLength(1);
  await rig.start('serve');
  const restartMs = Date.now() - killedAt;
  expect(natsServers()).toHaveLength(1);
  await client.untilAcked(6_000);
  const signalled = Date.now();
  await rig.stop('serve');
  const stopMs = Date.now() - signalled;
  expect(natsServers()).toHaveLength(0);
  await rig.start('serve');
  await load;

  await waitFor('the sink to store everything', async () => ((await rig.metric('serve', 'tributary_sink_consumer_pending')) === 0 ? true : undefined), 120_000, 200);
  await rig.stop('serve');
  expect(natsServers()).toHaveLength(0);
  const stored = await rig.stored('serve');
  console.log(
    `serve kill (seed ${FAULT_SEED}): ${JSON.stringify({ tally: client.tally(), retried: client.retried, restartAfterKillMs: restartMs, stopUnderLoadMs: stopMs, storedIds: stored.rows.size, rawDuplicates: rawDuplicates(stored) })}`,
  );
  reconcile(client, stored);
  expect(client.tally().failed).toBe(0);
});
