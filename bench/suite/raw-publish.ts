/**
 * B1, raw JetStream: the fastest way Node publishes to the same kind of
 * stream with Nats-Msg-Id, with nothing of Tributary's gateway in the way:
 * core publishes with a reply subject, a bounded window, PubAcks collected by
 * one subscription. Payloads are the record mix's Envelopes, published as
 * fast as the window allows. Run as a child process by bench/run.ts.
 */
import { performance } from 'node:perf_hooks';
import { jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { loadConfig } from '../../src/config/load';
import { JetStreamPublisher } from '../../src/publish/jetstream-publisher';
import { NatsLink } from '../../src/stream/connection';
import { ensureStream, streamConfig } from '../../src/stream/stream-definition';
import { childMain } from './child-main';
import { envelopesOf, recordMix } from './record-mix';

/** Where and what to publish: a stream of its own, defined as the gateway defines its stream. */
export interface RawPublishPlan {
  readonly natsUrl: string;
  readonly stream: string;
  readonly run: string;
  readonly records: number;
  readonly batch: number;
  readonly window: number;
}

childMain(async (plan: RawPublishPlan) => {
  const envelopes = envelopesOf(recordMix(0, plan.records, plan.run));
  const link = await NatsLink.open(plan.natsUrl, 'bench', pino({ level: 'warn' }));
  const config = loadConfig({}, { natsUrl: plan.natsUrl, stream: plan.stream, subjectPrefix: plan.stream.toLowerCase() });
  await ensureStream(await jetstreamManager(link.nc), streamConfig(config));
  const subject = `${config.subjectPrefix}.bench.event.track`;
  const publisher = new JetStreamPublisher(link, { maxInFlight: plan.batch * plan.window, maxInFlightBytes: config.maxInFlightBytes, timeoutMs: 30_000 });
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: plan.window }, async () => {
      while (next < envelopes.length) {
        const from = next;
        next += plan.batch;
        await publisher.publish(envelopes.slice(from, from + plan.batch).map((data, i) => ({ subject, msgId: `${plan.run}:${from + i}`, data })));
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  publisher.close();
  await link.drain();
  const bytes = envelopes.reduce((sum, e) => sum + e.length, 0);
  return { seconds, recordsPerSecond: Math.round(plan.records / seconds), envelopeBytes: Math.round(bytes / envelopes.length) };
});
