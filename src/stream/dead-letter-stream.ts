/**
 * The dead-letter stream: where the sink puts what it could not store, so
 * it stays in JetStream with its reason even beyond ClickHouse's
 * dead_letters table. Its subjects sit outside the main stream's prefix.
 */
import { RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import type { Config } from '../config/settings';

/** Why a message becomes a dead letter. */
export const DEAD_LETTER_REASONS = ['UNDECODABLE_ENVELOPE', 'INVALID_ENVELOPE', 'REJECTED_BY_CLICKHOUSE', 'IDENTITY_LINK_REFUSED'] as const;

/** Why a message became a dead letter. */
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** The reasons whose dead letters a redrive sends through again: a message that is not a Tributary record stays one however often it is sent. */
export const REDRIVABLE_REASONS: readonly DeadLetterReason[] = ['REJECTED_BY_CLICKHOUSE', 'IDENTITY_LINK_REFUSED'];

/** The dead-letter stream's name. */
export const deadLetterStreamName = (config: Config): string => `${config.stream}_DEAD_LETTERS`;

/** The subject of a dead letter from `sourceId` (or "unknown"). */
export const deadLetterSubject = (config: Config, sourceId: string): string => `${config.subjectPrefix}_dead_letters.${sourceId === '' ? 'unknown' : sourceId}`;

/** The dead-letter stream's definition. */
export function deadLetterStreamConfig(config: Config): Partial<StreamConfig> & { name: string } {
  return {
    name: deadLetterStreamName(config),
    subjects: [`${config.subjectPrefix}_dead_letters.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    num_replicas: config.replicas,
  };
}
