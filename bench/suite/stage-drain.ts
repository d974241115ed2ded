/**
 * The CPU of one stage alone: the sink stage (envelopes into rows and
 * inserts) or the identity stage (identify and alias links into the graph),
 * started in this child process on consumers of its own over the stream the
 * scenarios filled, on an embedded ClickHouse folder of its own, and timed
 * from start to drained. `tributary sink` runs both stages in one process;
 * this splits its CPU by stage. Run as a child process by bench/run.ts.
 */
import { performance } from 'node:perf_hooks';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pino from 'pino';
import { loadConfig } from '../../src/config/load';
import { startIdentity } from '../../src/identity/identity-stage';
import { Metrics } from '../../src/observability/metrics';
import { startSink } from '../../src/sink/sink';
import { createClickHouse } from '../../src/storage/clickhouse-client';
import { migrate } from '../../src/storage/migrate';
import { backlog } from '../../src/stages/consumer-loop';
import { identityConsumerConfig, IDENTITY_CALLS } from '../../src/stages/consumers';
import { waitFor } from '../../test/helpers/wait';
import { childMain } from './child-main';

/** Which stage to run, on what. */
export interface StagePlan {
  readonly stage: 'sink' | 'identity';
  readonly natsUrl: string;
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly dataDir: string;
}

childMain(async (plan: StagePlan) => {
  const config = loadConfig(
    {},
    {
      natsUrl: plan.natsUrl,
      stream: plan.stream,
      subjectPrefix: plan.subjectPrefix,
      dataDir: plan.dataDir,
      sinkConsumer: 'stage-sink',
      identityConsumer: 'stage-identity',
      logLevel: 'warn',
      accounting: 'false',
    },
  );
  const logger = pino({ level: 'warn' });
  const client = createClickHouse(config);
  await migrate(client, { database: config.clickhouseDatabase, cluster: '', replicated: false }, logger);
  const nc = await connect({ servers: plan.natsUrl });
  const jsm = await jetstreamManager(nc);
  const consumers = plan.stage === 'sink' ? [config.sinkConsumer] : IDENTITY_CALLS.map((call) => identityConsumerConfig(config, call).durable_name);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const running = plan.stage === 'sink' ? await startSink(config, logger, client) : await startIdentity(config, logger, client, new Metrics());
  await waitFor(`the ${plan.stage} stage to drain the stream`, async () => ((await backlog(jsm, config.stream, consumers)) === 0 ? true : undefined), 300_000, 100);
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const records = (await jsm.streams.info(config.stream)).state.messages;
  await running.stop();
  for (const consumer of consumers) await jsm.consumers.delete(config.stream, consumer);
  await nc.close();
  await client.close();
  return { seconds, records, stageCpuSeconds: (used.user + used.system) / 1e6 };
});
