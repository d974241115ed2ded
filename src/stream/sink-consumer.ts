/**
 * The durable pull consumer the sinks share: explicit acks (a sink acks only
 * what it stored, so several sinks can share it), an ack wait the sink keeps
 * alive while it retries, and at most two batches unacknowledged.
 */
import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { Config } from '../config/settings';
import { createOrUpdate } from './create-or-update';

/** The consumer's definition. */
export function sinkConsumerConfig(config: Config): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: config.sinkConsumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(config.sinkAckWaitMs),
    max_ack_pending: config.sinkBatchSize * 2,
    max_deliver: -1,
  };
}

/** Creates the consumer, or updates it to the definition when it exists and differs. */
export function ensureConsumer(jsm: JetStreamManager, stream: string, definition: Partial<ConsumerConfig> & { durable_name: string }): Promise<void> {
  return createOrUpdate(
    definition,
    () => jsm.consumers.info(stream, definition.durable_name),
    () => jsm.consumers.update(stream, definition.durable_name, definition),
    () => jsm.consumers.add(stream, definition),
  );
}
