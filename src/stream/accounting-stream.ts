/**
 * The accounting stream: where every gateway puts, before it answers, how
 * many records of each source it answered with each outcome, and a few
 * rejected records as samples (stream/accounting-message.ts). The sink
 * writes them into ClickHouse's accounting and rejections tables, so a
 * count a gateway reported survives the gateway (docs/decisions.md,
 * "Accounting travels through JetStream"). Its subject sits outside the
 * main stream's prefix. A work queue: a message leaves once the sink has
 * stored it (and erased it, when it held samples), so the stream holds only
 * what the sink has still to write, for at most the records' age.
 */
import { RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { Config } from '../config/settings';

/** The accounting stream's name. */
export const accountingStreamName = (config: Config): string => `${config.stream}_ACCOUNTING`;

/** The subject every gateway publishes its counts on. */
export const accountingSubject = (config: Config): string => `${config.subjectPrefix}_accounting`;

/** The accounting stream's definition. */
export function accountingStreamConfig(config: Config): Partial<StreamConfig> & { name: string } {
  return {
    name: accountingStreamName(config),
    subjects: [accountingSubject(config)],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
    duplicate_window: nanos(config.duplicateWindowMs),
    max_age: nanos(config.maxAgeMs),
    num_replicas: config.replicas,
  };
}
