/**
 * The one list of where ClickHouse keeps a person: every table with a
 * person's ids, and how erasure finds that person's rows in it, from the
 * hashed ids a regulation covers (so no id is written into a statement).
 * Tables are erased in this order: profiles reads the events it is erased
 * with. A table with a `profile_id` column must be on this list or on
 * NOT_PERSONAL with its reason (a test checks the schema against both).
 */

/** A table with personal rows. */
export interface PersonalTable {
  readonly table: string;
  /** The condition of the person's rows, from `covered(column)` (the column's id is one the regulation covers) and the database. */
  readonly where: (covered: (column: string) => string, database: string) => string;
  /** The column of each row's stream sequence, when its rows came from stream messages that erasure must erase too. */
  readonly streamSeq?: string;
}

/** The id of an identity node (`profile:<id>`, `user:<id>`). */
const nodeId = (column: string): string => `substring(${column}, position(${column}, ':') + 1)`;

/** The events condition, which the profiles condition reads too. */
const eventRows = (covered: (column: string) => string): string => ['profile_id', 'user_id', 'another_user_id', 'consent_email'].map(covered).join(' OR ');

/** Every table that holds a person's rows, in the order erasure deletes from them. */
export const PERSONAL_TABLES: readonly PersonalTable[] = [
  // A profile's aggregates (its user id, its attributes) come from its events: it goes with any of them.
  { table: 'profiles', where: (covered, db) => `${covered('profile_id')} OR profile_id IN (SELECT profile_id FROM ${db}.events WHERE ${eventRows(covered)})` },
  { table: 'profile_masters', where: (covered) => `${covered('profile_id')} OR ${covered('master_id')}` },
  { table: 'identity_links', where: (covered) => `${covered(nodeId('left_node'))} OR ${covered(nodeId('right_node'))}`, streamSeq: 'stream_seq' },
  { table: 'identity_edges', where: (covered) => `${covered(nodeId('node'))} OR ${covered(nodeId('other'))}` },
  { table: 'events', where: (covered) => eventRows(covered), streamSeq: 'stream_seq' },
  // Consent decisions as applied to each of a person's ids; the events that made them are erased with events.
  { table: 'consent_decisions', where: (covered) => covered('subject') },
  // Rejected records kept as samples, by the ids their records name (the accounting stream keeps no copy: the sink erases it).
  { table: 'rejections', where: (covered) => eventRows(covered) },
  // Tracking-plan violations, whose event names and property keys are the sender's, by the record's profile and user ids (the accounting stream keeps no copy).
  { table: 'plan_violations', where: (covered) => `${covered('profile_id')} OR ${covered('user_id')}` },
];

/** Tables that erasure leaves, each with why it holds no personal data. dead_letters is erased by its payloads (dead-letter-erasure.ts). */
export const NOT_PERSONAL: { readonly [table: string]: string } = {
  products: 'a product record never names a person: its optional profile and user ids are catalog facts, and products are kept (docs/privacy.md)',
  regulations: 'the audit trail: subjects only as salted hashes',
  erasure_keys: 'salted hashes only',
  dead_letters: 'erased by reading each payload for the person (dead-letter-erasure.ts)',
  schema_migrations: 'migration versions',
  accounting: 'counts per source, minute, outcome and reason',
};
