/**
 * The identity stage's durable pull consumers: one on the identify subjects
 * and one on the alias subjects of every source (nats-server 2.9 takes one
 * filter per consumer), with explicit acks like the sink's. Deleting them
 * makes the stage replay the stream and rebuild the graph (docs/identity.md).
 */
import type { ConsumerConfig } from '@nats-io/jetstream';
import type { Config } from '../config/settings';
import { sinkConsumerConfig } from './sink-consumer';

/** The calls that link identities, each with a consumer of its own. */
export const LINKING_CALLS = ['identify', 'alias'] as const;

/** The definition of the consumer of one linking call. */
export function identityConsumerConfig(config: Config, call: (typeof LINKING_CALLS)[number]): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    ...sinkConsumerConfig(config),
    durable_name: `${config.identityConsumer}-${call}`,
    filter_subject: `${config.subjectPrefix}.*.event.${call}`,
  };
}
