/**
 * Fault suite: the gateway, the sink and nats-server as separate processes,
 * each killed with SIGKILL under steady load and started again, while a
 * client retries with the same event ids. Afterwards the client's books are
 * reconciled against ClickHouse: every record acknowledged is stored exactly
 * once. Seeded (FAULT_SEED) so a failure replays the same records.
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { FaultRig, reconcile } from '../../helpers/fault-rig';
import { LoadClient } from '../../helpers/load-client';
import { NatsServer } from '../../helpers/nats-server';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(240_000);
const SEED = Number(process.env.FAULT_SEED ?? 20261129);
const TOTAL = 12_000;

let nats: NatsServer;
let rig: FaultRig;
let inspector: NatsConnection;
let jsm: JetStreamManager;
beforeAll(async () => {
  nats = await NatsServer.start();
  rig = await FaultRig.create(nats.url);
  inspector = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  jsm = await jetstreamManager(inspector);
});
afterAll(async () => {
  await inspector.close();
  await rig.close();
  await nats.stop();
});

/** Waits until the client has `count` records acknowledged. */
const acked = (client: LoadClient, count: number) => waitFor(`${count} records acknowledged`, () => (client.acked >= count ? true : undefined), 120_000, 20);

it('loses nothing acknowledged when the gateway, the sink and nats-server are each killed under load', async () => {
  await rig.start('sink');
  await rig.start('gateway');
  const client = new LoadClient({ address: `127.0.0.1:${rig.grpcPort}`, apiKey: rig.apiKey, prefix: 'kills', total: TOTAL, batchSize: 100, concurrency: 4, giveUpAfterMs: 60_000, seed: SEED, ratePerSecond: 600 });
  const load = client.run();
  const restarts: { [part: string]: number } = {};
  const killAndRestart = async (part: string, kill: () => Promise<void>, start: () => Promise<void>) => {
    const at = Date.now();
    await kill();
    await start();
    restarts[part] = Date.now() - at;
  };

  await acked(client, 2_000);
  await killAndRestart('gateway', () => rig.kill('gateway'), () => rig.start('gateway'));
  await acked(client, 5_000);
  await killAndRestart('sink', () => rig.kill('sink'), () => rig.start('sink'));
  await acked(client, 8_000);
  await killAndRestart('nats-server', () => nats.kill(), () => nats.resume());
  await load;

  await rig.sinkCaughtUp(jsm);
  await rig.stop('gateway');
  await rig.stop('sink');
  const stored = await rig.stored('kills');
  console.log(`process kills (seed ${SEED}): ${JSON.stringify({ tally: client.tally(), retried: client.retried, restartMs: restarts, storedIds: stored.rows.size })}`);
  reconcile(client, stored);
  expect(client.tally().failed).toBe(0);
});
