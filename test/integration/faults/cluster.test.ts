/**
 * Fault suite: a three-node JetStream cluster on loopback with the stream
 * replicated three times. The gateway and the sink take every node's URL and
 * start against the fresh cluster (waiting while it elects its leaders);
 * then, under steady load, the stream's leader node is killed with SIGKILL
 * and later started again. Every record the client saw acknowledged is
 * stored exactly once. Seeded (FAULT_SEED).
 */
import { FAULT_SEED, FaultRig, rawDuplicates, reconcile } from '../../helpers/fault-rig';
import { NatsCluster } from '../../helpers/nats-server';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(240_000);

let cluster: NatsCluster;
let rig: FaultRig;
beforeAll(async () => {
  cluster = await NatsCluster.start();
  rig = await FaultRig.create(cluster.urls, { TRIBUTARY_STREAM_REPLICAS: '3' });
});
afterAll(async () => {
  await rig.close();
  await cluster.stop();
});

it('starts against a fresh cluster and loses nothing acknowledged when the stream leader is killed and comes back', async () => {
  const startedAt = Date.now();
  await Promise.all([rig.start('sink'), rig.start('gateway')]);
  const startMs = Date.now() - startedAt;
  const jsm = await rig.jetStream();
  const streamInfo = await jsm.streams.info(rig.stream);
  expect(streamInfo.config.num_replicas).toBe(3);

  const client = rig.loadClient({ prefix: 'cluster', total: 8_000, ratePerSecond: 500 });
  const load = client.run();
  await client.untilAcked(2_500);
  const leaderName = (await jsm.streams.info(rig.stream)).cluster?.leader;
  expect(leaderName).toBeDefined();
  const leader = cluster.node(leaderName as string);
  await leader.kill();
  const newLeader = await waitFor(
    'a new stream leader',
    async () => {
      const name = (await jsm.streams.info(rig.stream)).cluster?.leader;
      return name !== undefined && name !== leaderName ? name : undefined;
    },
    60_000,
    200,
  );
  await client.untilAcked(5_000);
  await leader.resume();
  await load;

  await rig.sinkCaughtUp(jsm);
  await rig.stop('gateway');
  await rig.stop('sink');
  const stored = await rig.stored('cluster');
  console.log(
    `cluster (seed ${FAULT_SEED}): ${JSON.stringify({ startMs, killed: leaderName, newLeader, tally: client.tally(), retried: client.retried, storedIds: stored.rows.size, rawDuplicates: rawDuplicates(stored) })}`,
  );
  reconcile(client, stored);
  expect(client.tally().failed).toBe(0);
});
