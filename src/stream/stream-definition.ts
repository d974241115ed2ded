/**
 * The JetStream stream records travel on, and its creation or update at
 * start: file storage, a duplicate window for Nats-Msg-Id, and new records
 * refused (never old ones dropped) when the stream is full. The byte limit
 * is the gateways' to keep (publish/stream-room.ts), not JetStream's: at a
 * `max_bytes` of its own, nats-server before 2.10.5 drops acknowledged
 * records.
 */
import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { Config } from '../config/settings';
import { createOrUpdate } from './create-or-update';

/** The subjects a stream with this prefix captures: `<prefix>.>`. */
export const streamSubjects = (subjectPrefix: string): string[] => [`${subjectPrefix}.>`];

/** The stream's definition as the configuration sets it. */
export function streamConfig(config: Config): Partial<StreamConfig> & { name: string } {
  return {
    name: config.stream,
    subjects: streamSubjects(config.subjectPrefix),
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.New,
    duplicate_window: nanos(config.duplicateWindowMs),
    max_age: nanos(config.maxAgeMs),
    max_bytes: -1,
    num_replicas: config.replicas,
  };
}

/** Creates the stream, or updates it to the definition when it exists and differs. */
export function ensureStream(jsm: JetStreamManager, definition: Partial<StreamConfig> & { name: string }): Promise<void> {
  return createOrUpdate(
    definition,
    () => jsm.streams.info(definition.name),
    () => jsm.streams.update(definition.name, definition),
    () => jsm.streams.add(definition),
  );
}
