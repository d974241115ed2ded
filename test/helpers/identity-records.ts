/**
 * Identify, alias and track records for the identity stage's integration
 * tests, ids of one test apart from every other test's, and the reads and
 * deliveries those tests share.
 */
import { randomBytes } from 'node:crypto';
import type { Record } from '../../src/gen/tributary/ingest/v1/record';
import { select } from './clickhouse';
import { drained, type SinkHarness } from './sink-harness';

/** Names of one test: each name with a random tag, apart from every other test's. */
export const ids = (): ((name: string) => string) => {
  const tag = randomBytes(3).toString('hex');
  return (name: string) => `${name}_${tag}`;
};

/** A producer's time: a minute of 2026-11-20 10:00 UTC, or a date of its own. */
export type When = number | Date;
/** The date of a producer's time. */
export const at = (when: When): Date => (typeof when === 'number' ? new Date(Date.UTC(2026, 10, 20, 10, when)) : when);

type Call = NonNullable<Extract<Record['kind'], { $case: 'event' }>['value']['call']>;
const event = (eventId: string, profileId: string, when: When, call: Call, userId = ''): Record => ({
  eventId,
  timestamp: at(when),
  kind: { $case: 'event', value: { profileId, userId, sessionId: '', accountId: '', pageId: '', call } },
});

/** A track of a profile. */
export const track = (eventId: string, profileId: string, minute: number): Record => event(eventId, profileId, minute, { $case: 'track', value: { name: 'Page Scrolled', data: { depth: minute } } });

/** An identify of a profile as a user, with a user_hash when given. */
export const identify = (eventId: string, profileId: string, userId: string, when: When, userHash?: string): Record =>
  event(eventId, profileId, when, { $case: 'identify', value: { userAttributes: { plan: 'pro' }, userHash } }, userId);

/** An alias of a user to another user id. */
export const alias = (eventId: string, profileId: string, userId: string, anotherUserId: string, minute: number): Record =>
  event(eventId, profileId, minute, { $case: 'alias', value: { anotherUserId } }, userId);

/** Publishes each group of records (from `sourceId`, or the default source) and waits for every consumer to ack it before the next, so each is its own batch. */
export async function deliverEach(harness: SinkHarness, sourceId: string | undefined, ...groups: Record[][]): Promise<void> {
  for (const records of groups) {
    await harness.publish(records, { sourceId });
    await drained(harness);
  }
}

/** The current master of each profile that has one, by profile id. */
export const mastersOf = (harness: SinkHarness, profileIds: readonly string[]): Promise<{ profile_id: string; master_id: string }[]> =>
  select<{ profile_id: string; master_id: string }>(
    harness.clickhouse,
    `SELECT profile_id, master_id FROM ${harness.table('profile_masters_current')} WHERE profile_id IN (${profileIds.map((p) => `'${p}'`).join(', ')}) ORDER BY profile_id`,
  );

/** The stored decisions of links, by event id, in stream order. */
export const linksOf = (harness: SinkHarness, eventIds: readonly string[]): Promise<{ event_id: string; effect: string; reason: string }[]> =>
  select<{ event_id: string; effect: string; reason: string }>(
    harness.clickhouse,
    `SELECT event_id, effect, reason FROM ${harness.table('identity_links')} FINAL WHERE event_id IN (${eventIds.map((e) => `'${e}'`).join(', ')}) ORDER BY stream_seq`,
  );
