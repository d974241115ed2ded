/**
 * Fault suite: `tributary serve` (gateway, sink and its own nats-server in
 * one process) killed with SIGKILL under steady load, as the OOM killer
 * would, and started again on the same data folder: the orphaned
 * nats-server is stopped, and every record the client saw acknowledged is
 * stored exactly once. Seeded (FAULT_SEED).
 */
import { processesWith } from '../../helpers/processes';
import { FaultRig, reconcile } from '../../helpers/fault-rig';
import { LoadClient } from '../../helpers/load-client';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(240_000);
const SEED = Number(process.env.FAULT_SEED ?? 20261129);

let rig: FaultRig;
beforeAll(async () => {
  rig = await FaultRig.create('');
});
afterAll(async () => {
  await rig.close();
});

it('loses nothing acknowledged when serve is killed under load and started again', async () => {
  await rig.start('serve');
  const natsServers = () => processesWith(rig.dataDir).filter((pid) => processesWith('nats-server').includes(pid));
  const client = new LoadClient({ address: `127.0.0.1:${rig.grpcPort}`, apiKey: rig.apiKey, prefix: 'serve', total: 8_000, batchSize: 100, concurrency: 4, giveUpAfterMs: 60_000, seed: SEED, ratePerSecond: 600 });
  const load = client.run();
  await waitFor('3,000 records acknowledged', () => (client.acked >= 3_000 ? true : undefined), 120_000, 20);
  const killedAt = Date.now();
  await rig.kill('serve');
  expect(natsServers()).toHaveLength(1);
  await rig.start('serve');
  const restartMs = Date.now() - killedAt;
  expect(natsServers()).toHaveLength(1);
  await load;

  await waitFor('the sink to store everything', async () => ((await rig.metric('serve', 'tributary_sink_consumer_pending')) === 0 ? true : undefined), 120_000, 200);
  await rig.stop('serve');
  expect(natsServers()).toHaveLength(0);
  const stored = await rig.stored('serve');
  console.log(`serve kill (seed ${SEED}): ${JSON.stringify({ tally: client.tally(), retried: client.retried, restartMs, storedIds: stored.rows.size })}`);
  reconcile(client, stored);
  expect(client.tally().failed).toBe(0);
});
