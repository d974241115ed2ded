/**
 * The durable pull consumers the consuming stages drain, and their creation
 * at start. The sink's one consumer takes every record, and another every
 * accounting message; the identity stage
 * has one on each of the identify, alias and consent subjects of every
 * source (nats-server 2.9 takes one filter per consumer). All use explicit
 * acks (a stage acks only what it handled, so replicas can share a consumer),
 * an ack wait the loop keeps alive while it retries, and at most two batches
 * unacknowledged. Deleting the identity consumers makes that stage replay the
 * stream and rebuild the graph (docs/identity.md).
 */
import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { Config } from '../config/settings';
import { createOrUpdate } from '../stream/create-or-update';

/** A durable consumer's definition. */
export type ConsumerDefinition = Partial<ConsumerConfig> & { durable_name: string };

/** The sink's consumer. */
export function sinkConsumerConfig(config: Config): ConsumerDefinition {
  return {
    durable_name: config.sinkConsumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(config.sinkAckWaitMs),
    max_ack_pending: config.sinkBatchSize * 2,
    max_deliver: -1,
  };
}

/** The sink's consumer of the accounting stream (stream/accounting-stream.ts): the sink's settings under a name of its own. */
export const accountingConsumerConfig = (config: Config): ConsumerDefinition => ({ ...sinkConsumerConfig(config), durable_name: `${config.sinkConsumer}-accounting` });

/** The start of the names of replay consumers (src/repair/replay-task.ts), each followed by its task's id: erasure waits for their batches in hand. */
export const replayConsumerPrefix = (config: Config): string => `${config.sinkConsumer}-replay-`;

/** The calls the identity stage reads, each with a consumer of its own: those that link identities, and consent, whose decisions it spreads over the persons' ids. */
export const IDENTITY_CALLS = ['identify', 'alias', 'consent'] as const;

/** The identity stage's consumer of one of its calls: the sink's settings, filtered to the call's subjects. */
export function identityConsumerConfig(config: Config, call: (typeof IDENTITY_CALLS)[number]): ConsumerDefinition {
  return {
    ...sinkConsumerConfig(config),
    durable_name: `${config.identityConsumer}-${call}`,
    filter_subject: `${config.subjectPrefix}.*.event.${call}`,
  };
}

/** Creates the consumer, or updates it to the definition when it exists and differs. */
export function ensureConsumer(jsm: JetStreamManager, stream: string, definition: ConsumerDefinition): Promise<void> {
  return createOrUpdate(
    definition,
    () => jsm.consumers.info(stream, definition.durable_name),
    () => jsm.consumers.update(stream, definition.durable_name, definition),
    () => jsm.consumers.add(stream, definition),
  );
}
