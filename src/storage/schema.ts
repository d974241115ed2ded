/**
 * The tables, as versioned migrations. Every statement is idempotent
 * (IF NOT EXISTS), so a migration interrupted half-way runs again safely.
 *
 * - events: one row per (source, event id): ReplacingMergeTree keyed on the
 *   producer's own timestamp and the event id, so a record sent again lands
 *   on the same key whatever the clock correction of the retry.
 * - products: one row per (source, product id); the newest record wins.
 * - profiles: fed from events only, by a materialized view, with aggregates
 *   that a replayed event cannot change; products never reach it.
 * - dead_letters: what could not be stored, with its reason and payload,
 *   and its redrives.
 * - identity_links, identity_edges, profile_masters: the identity graph
 *   (docs/identity.md): every identify and alias link with the event that
 *   made it and what it did, the same links by node for walking the graph,
 *   and each profile's master id, versioned; events_stitched gives events
 *   with their profile's current master id.
 * - free-form bags (properties, attributes, context, product data): the
 *   JSON text the producer sent, in String columns (migration 8 converted the
 *   JSON columns of migration 1 and 2).
 * - consent_decisions, consent_current: consent decisions as applied to each
 *   id of a person, and each id's winning decision per category
 *   (docs/consent.md).
 * - accounting, rejections, accounting_minutes: the gateways' counts per
 *   source, minute, outcome and reason, rejected records kept as samples (7
 *   days), and every stage's counts per minute (docs/accounting.md).
 * - *_final views: exact reads (FINAL) for queries that must not see a
 *   duplicate before merges catch up.
 */

/** Where the tables live and how they are replicated. */
export interface SchemaTarget {
  readonly database: string;
  /** Cluster name for ON CLUSTER, or empty. */
  readonly cluster: string;
  /** Whether to use Replicated*MergeTree. */
  readonly replicated: boolean;
}

/** One versioned migration. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: (target: SchemaTarget) => string[];
}

/** The ON CLUSTER clause of a DDL statement, or nothing on a single server. */
export const onCluster = (t: SchemaTarget): string => (t.cluster === '' ? '' : ` ON CLUSTER ${t.cluster}`);

/** An engine clause, replicated or not, with the settings insert deduplication needs. */
function engine(t: SchemaTarget, table: string, kind: 'ReplacingMergeTree' | 'AggregatingMergeTree', version = ''): string {
  if (t.replicated) {
    const args = [`'/clickhouse/tables/{shard}/${t.database}/${table}'`, `'{replica}'`, version].filter((a) => a !== '');
    return `ENGINE = Replicated${kind}(${args.join(', ')})`;
  }
  return `ENGINE = ${kind}(${version})`;
}

const dedupSettings = (t: SchemaTarget): string => (t.replicated ? '' : ' SETTINGS non_replicated_deduplication_window = 1000');

const DT = "DateTime64(3, 'UTC')";

/** The columns that hold a producer's free-form JSON (String since migration 8). */
export const BAGS: readonly { readonly table: 'events' | 'products'; readonly column: string }[] = [
  { table: 'events', column: 'properties' },
  { table: 'events', column: 'user_attributes' },
  { table: 'events', column: 'account_attributes' },
  { table: 'events', column: 'context' },
  { table: 'products', column: 'data' },
];

/** The materialized view that feeds profiles from events; `attributes` is the expression of the identify attributes' text. */
const profilesView = (t: SchemaTarget, attributes: string): string =>
  `CREATE MATERIALIZED VIEW IF NOT EXISTS ${t.database}.profiles_from_events${onCluster(t)} TO ${t.database}.profiles AS
      SELECT source_id, profile_id,
        min(timestamp) AS first_seen,
        max(timestamp) AS last_seen,
        argMaxStateIf(user_id, timestamp, user_id != '') AS user_id,
        argMaxStateIf(${attributes}, timestamp, call = 'identify') AS user_attributes
      FROM ${t.database}.events
      GROUP BY source_id, profile_id`;

/** The exact-read views of events and products. */
const finalViews = (t: SchemaTarget): string[] =>
  ['events', 'products'].map((table) => `CREATE VIEW IF NOT EXISTS ${t.database}.${table}_final${onCluster(t)} AS SELECT * FROM ${t.database}.${table} FINAL`);

/** Events with their profile's current master id. */
const stitchedView = (t: SchemaTarget): string => `CREATE VIEW IF NOT EXISTS ${t.database}.events_stitched${onCluster(t)} AS
      SELECT e.*, if(m.current_master = '', e.profile_id, m.current_master) AS master_id
      FROM ${t.database}.events_final AS e
      LEFT JOIN (SELECT profile_id AS stitched_profile_id, master_id AS current_master FROM ${t.database}.profile_masters FINAL) AS m
      ON m.stitched_profile_id = e.profile_id`;

/** The tables erasure deleted from when migration 9 gave them their cleanup settings (later ones, such as consent_decisions, are created with them). */
const ERASED_TABLES = ['events', 'profiles', 'profile_masters', 'identity_links', 'identity_edges', 'dead_letters'];

/**
 * Settings that remove the parts a mutation replaced about a second after
 * it (ClickHouse keeps them 480 s by default, as a guard against losing
 * merged parts that were not yet synced to disk: merges sync their parts
 * instead), so an erased person's bytes leave the disk (docs/privacy.md).
 */
const PROMPT_CLEANUP = 'old_parts_lifetime = 1, cleanup_delay_period = 1, max_cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, min_compressed_bytes_to_fsync_after_merge = 1';

/**
 * The view of every stage's counts per source and minute (docs/accounting.md):
 * the gateways' from `accounting`, the sink's and the identity stage's from
 * the rows they wrote. With `redrives` (migration 14, once dead_letters has
 * its redrive columns), a dead letter a redrive sent through counts as
 * `redriven` at its stage, in the minute it was redriven, and no longer as
 * `dead_lettered`.
 */
const accountingMinutes = (t: SchemaTarget, create: string, redrives: boolean): string => `${create} ${t.database}.accounting_minutes${onCluster(t)} AS
      SELECT source_id, minute, stage, measure, reason, sum(count) AS count FROM ${t.database}.accounting FINAL GROUP BY source_id, minute, stage, measure, reason
      UNION ALL
      SELECT source_id, toStartOfMinute(received_at) AS minute, 'sink' AS stage, 'stored' AS measure, '' AS reason, uniqExact(stream_seq) AS count
      FROM (SELECT source_id, received_at, stream_seq FROM ${t.database}.events UNION ALL SELECT source_id, received_at, stream_seq FROM ${t.database}.products)
      GROUP BY source_id, minute
      UNION ALL
      SELECT source_id, toStartOfMinute(failed_at) AS minute, 'sink' AS stage, 'dead_lettered' AS measure, reason, count() AS count
      FROM ${t.database}.dead_letters FINAL WHERE reason != 'IDENTITY_LINK_REFUSED'${redrives ? " AND redriven_by = ''" : ''} GROUP BY source_id, minute, reason${
        redrives
          ? `
      UNION ALL
      SELECT source_id, toStartOfMinute(assumeNotNull(redriven_at)) AS minute, if(reason = 'IDENTITY_LINK_REFUSED', 'identity', 'sink') AS stage, 'redriven' AS measure, reason, count() AS count
      FROM ${t.database}.dead_letters FINAL WHERE redriven_by != '' GROUP BY source_id, minute, stage, reason`
          : ''
      }
      UNION ALL
      SELECT source_id, minute, 'identity' AS stage, measure, '' AS reason, count() AS count
      FROM (SELECT source_id, toStartOfMinute(resolved_at) AS minute, effect FROM ${t.database}.identity_links FINAL)
      ARRAY JOIN ['links_received', if(effect = 'refused', 'links_refused', 'links_applied')] AS measure
      GROUP BY source_id, minute, measure`;

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.database}.events${onCluster(t)} (
        source_id LowCardinality(String),
        event_id String,
        call LowCardinality(String),
        name String,
        timestamp ${DT},
        original_timestamp ${DT},
        received_at ${DT},
        sent_at Nullable(${DT}),
        profile_id String,
        user_id String,
        session_id String,
        account_id String,
        page_id String,
        another_user_id String,
        properties JSON,
        user_attributes JSON,
        account_attributes JSON,
        context JSON,
        consent_action LowCardinality(String),
        consent_category String,
        consent_valid_until Nullable(${DT}),
        consent_source String,
        consent_message String,
        consent_email String,
        page_url String,
        page_title String,
        page_referrer String,
        page_path String,
        stream_seq UInt64
      ) ${engine(t, 'events', 'ReplacingMergeTree', 'stream_seq')}
      PARTITION BY toYYYYMM(original_timestamp)
      ORDER BY (source_id, toDate(original_timestamp), event_id)${dedupSettings(t)}`,
    ],
  },
  {
    version: 2,
    name: 'products',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.database}.products${onCluster(t)} (
        source_id LowCardinality(String),
        product_id String,
        event_id String,
        profile_id String,
        user_id String,
        title String,
        description String,
        url String,
        image_link String,
        price Nullable(Float64),
        currency LowCardinality(String),
        brand String,
        category String,
        tags Array(String),
        availability LowCardinality(String),
        rating Nullable(Float64),
        data JSON,
        updated_at ${DT},
        received_at ${DT},
        stream_seq UInt64
      ) ${engine(t, 'products', 'ReplacingMergeTree', 'updated_at')}
      ORDER BY (source_id, product_id)${dedupSettings(t)}`,
    ],
  },
  {
    version: 3,
    name: 'profiles',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.database}.profiles${onCluster(t)} (
        source_id LowCardinality(String),
        profile_id String,
        first_seen SimpleAggregateFunction(min, ${DT}),
        last_seen SimpleAggregateFunction(max, ${DT}),
        user_id AggregateFunction(argMax, String, ${DT}),
        user_attributes AggregateFunction(argMax, String, ${DT})
      ) ${engine(t, 'profiles', 'AggregatingMergeTree')}
      ORDER BY (source_id, profile_id)`,
      profilesView(t, 'toJSONString(user_attributes)'),
    ],
  },
  {
    version: 4,
    name: 'dead_letters',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.database}.dead_letters${onCluster(t)} (
        source_id LowCardinality(String),
        stream_seq UInt64,
        subject String,
        reason LowCardinality(String),
        error String,
        deliveries UInt32,
        payload_base64 String,
        failed_at ${DT}
      ) ${engine(t, 'dead_letters', 'ReplacingMergeTree')}
      ORDER BY stream_seq${dedupSettings(t)}`,
    ],
  },
  {
    version: 5,
    name: 'exact-read views',
    statements: (t) => [
      ...finalViews(t),
      `CREATE VIEW IF NOT EXISTS ${t.database}.profiles_current${onCluster(t)} AS
      SELECT source_id, profile_id, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
        argMaxMerge(user_id) AS user_id, argMaxMerge(user_attributes) AS user_attributes
      FROM ${t.database}.profiles GROUP BY source_id, profile_id`,
    ],
  },
  {
    version: 6,
    name: 'compact parts for JSON columns',
    // A wide part keeps a file per JSON path and type: thousands for free-form
    // properties, which made inserts 4x slower and, with types varying per key,
    // ran the embedded engine out of file handles (docs/sink.md). Compact
    // parts keep one data file until a part reaches a million rows.
    statements: (t) => ['events', 'products'].map((table) => `ALTER TABLE ${t.database}.${table}${onCluster(t)} MODIFY SETTING min_rows_for_wide_part = 1000000, min_bytes_for_wide_part = 1073741824`),
  },
  {
    version: 7,
    name: 'identity graph',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.database}.identity_links${onCluster(t)} (
        source_id LowCardinality(String),
        event_id String,
        call LowCardinality(String),
        left_node String,
        right_node String,
        original_timestamp ${DT},
        stream_seq UInt64,
        effect LowCardinality(String),
        reason String,
        master_id String,
        group_size UInt32,
        resolved_at ${DT}
      ) ${engine(t, 'identity_links', 'ReplacingMergeTree')}
      ORDER BY (source_id, event_id)${dedupSettings(t)}`,
      `CREATE TABLE IF NOT EXISTS ${t.database}.identity_edges${onCluster(t)} (
        node String,
        other String,
        forward UInt8,
        source_id LowCardinality(String),
        event_id String,
        call LowCardinality(String),
        original_timestamp ${DT},
        stream_seq UInt64,
        effect LowCardinality(String),
        reason String
      ) ${engine(t, 'identity_edges', 'ReplacingMergeTree')}
      ORDER BY (node, source_id, event_id)`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${t.database}.identity_edges_from_links${onCluster(t)} TO ${t.database}.identity_edges AS
      SELECT pair.1 AS node, pair.2 AS other, pair.3 AS forward, source_id, event_id, call, original_timestamp, stream_seq, effect, reason
      FROM ${t.database}.identity_links ARRAY JOIN [(left_node, right_node, 1), (right_node, left_node, 0)] AS pair`,
      `CREATE TABLE IF NOT EXISTS ${t.database}.profile_masters${onCluster(t)} (
        profile_id String,
        master_id String,
        version UInt64,
        group_size UInt32,
        last_link_event_id String,
        resolved_at ${DT}
      ) ${engine(t, 'profile_masters', 'ReplacingMergeTree', 'version')}
      ORDER BY profile_id${dedupSettings(t)}`,
      `CREATE VIEW IF NOT EXISTS ${t.database}.profile_masters_current${onCluster(t)} AS
      SELECT profile_id, master_id, version, group_size, last_link_event_id, resolved_at FROM ${t.database}.profile_masters FINAL`,
      stitchedView(t),
    ],
  },
  {
    version: 8,
    name: 'free-form bags as JSON text',
    // The JSON type inferred types and rewrote values (a date-like string came
    // back as a DateTime, nulls and {} were dropped); String keeps the JSON text
    // the producer sent. MODIFY COLUMN rewrites existing values as their JSON
    // text; on a String column it changes nothing, so the step runs again safely.
    // Views keep the column types they were made with, so every view over
    // events or products is made again (or it would cast the text back to
    // JSON); the profiles view read toJSONString() of the old column and now
    // takes the text.
    statements: (t) => [
      ...BAGS.map(({ table, column }) => `ALTER TABLE ${t.database}.${table}${onCluster(t)} MODIFY COLUMN ${column} String`),
      ...['events_stitched', 'events_final', 'products_final', 'profiles_from_events'].map((view) => `DROP VIEW IF EXISTS ${t.database}.${view}${onCluster(t)}`),
      ...finalViews(t),
      stitchedView(t),
      profilesView(t, 'user_attributes'),
    ],
  },
  {
    version: 9,
    name: 'regulations',
    // regulations: the audit trail of privacy regulations, one row per
    // regulation (the newest state wins), holding subjects only as salted
    // hashes. erasure_keys: the hashed ids each erasure covers, which its
    // deletes read (so no id is ever written into a statement ClickHouse keeps).
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.database}.regulations${onCluster(t)} (
        regulation_id String,
        type LowCardinality(String),
        status LowCardinality(String),
        source_ids Array(String),
        expand_identity UInt8,
        subject_hashes Array(String),
        covered_ids UInt32,
        created_at ${DT},
        finished_at Nullable(${DT}),
        rows_deleted Map(String, UInt64),
        stream_messages_erased UInt64,
        dead_letters_removed UInt64,
        error String,
        updated_at ${DT}
      ) ${engine(t, 'regulations', 'ReplacingMergeTree', 'updated_at')}
      ORDER BY regulation_id`,
      `CREATE TABLE IF NOT EXISTS ${t.database}.erasure_keys${onCluster(t)} (
        regulation_id String,
        key FixedString(64)
      ) ${engine(t, 'erasure_keys', 'ReplacingMergeTree')}
      ORDER BY (regulation_id, key)`,
      ...ERASED_TABLES.flatMap((table) => [
        `ALTER TABLE ${t.database}.${table}${onCluster(t)} MODIFY SETTING ${PROMPT_CLEANUP}`,
        // A table reads its settings when it is attached: the embedded engine keeps the old ones until then.
        ...(t.cluster === '' ? [`DETACH TABLE ${t.database}.${table}`, `ATTACH TABLE ${t.database}.${table}`] : []),
      ]),
    ],
  },
  {
    version: 10,
    name: 'consent',
    // consent_decisions: every consent decision as the identity stage applied
    // it to each id of the person (the id named, or one linked to it), with
    // the event that brought it there; a decision applied twice is one row.
    // consent_current: each id's winning decision per category, by the order
    // the gateways merge with (src/policy/consent.ts): the later decided_at,
    // then a reject, then the later valid_until, then the greater source.
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.database}.consent_decisions${onCluster(t)} (
        subject String,
        category String,
        action LowCardinality(String),
        decided_at ${DT},
        valid_until ${DT},
        source String,
        applied_by_source LowCardinality(String),
        applied_by_event String,
        stream_seq UInt64
      ) ${engine(t, 'consent_decisions', 'ReplacingMergeTree')}
      ORDER BY (subject, category, decided_at, action, valid_until, source)
      SETTINGS ${PROMPT_CLEANUP}${t.replicated ? '' : ', non_replicated_deduplication_window = 1000'}`,
      `CREATE VIEW IF NOT EXISTS ${t.database}.consent_current${onCluster(t)} AS
      SELECT subject, category, winner.1 AS action, winner.2 AS decided_at, winner.3 AS valid_until, winner.4 AS source
      FROM (
        SELECT subject, category, argMax((action, decided_at, valid_until, source), (decided_at, action = 'reject', valid_until, source)) AS winner
        FROM ${t.database}.consent_decisions
        GROUP BY subject, category
      )`,
    ],
  },
  {
    version: 11,
    name: 'accounting',
    // accounting: the gateways' counts, one row per accounting message (its
    // stream sequence is the origin) and source, minute, measure and reason;
    // a message written twice is one row (read with FINAL). rejections: at
    // most N samples per source, reason and minute: a sample in a taken place
    // replaces the one there; each expires after 7 days, and erasure reaches
    // it by the ids its record names. accounting_minutes: every stage's
    // counts per source and minute: the gateways' from accounting, the
    // sink's and the identity stage's from the rows they wrote.
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.database}.accounting${onCluster(t)} (
        source_id LowCardinality(String),
        minute DateTime('UTC'),
        stage LowCardinality(String),
        measure LowCardinality(String),
        reason LowCardinality(String),
        origin UInt64,
        count UInt64
      ) ${engine(t, 'accounting', 'ReplacingMergeTree')}
      ORDER BY (source_id, minute, stage, measure, reason, origin)${dedupSettings(t)}`,
      `CREATE TABLE IF NOT EXISTS ${t.database}.rejections${onCluster(t)} (
        source_id LowCardinality(String),
        minute DateTime('UTC'),
        reason LowCardinality(String),
        slot UInt16,
        received_at ${DT},
        event_id String,
        transport LowCardinality(String),
        ip String,
        user_agent String,
        record String,
        violations String,
        profile_id String,
        user_id String,
        another_user_id String,
        consent_email String,
        stream_seq UInt64
      ) ${engine(t, 'rejections', 'ReplacingMergeTree', 'stream_seq')}
      ORDER BY (source_id, minute, reason, slot)
      TTL minute + INTERVAL 7 DAY
      SETTINGS ${PROMPT_CLEANUP}${t.replicated ? '' : ', non_replicated_deduplication_window = 1000'}`,
      accountingMinutes(t, 'CREATE VIEW IF NOT EXISTS', false),
    ],
  },
  {
    version: 12,
    name: 'plan_violations',
    // Each violation of a source's tracking plan (docs/tracking-plans.md):
    // where and why, the plan version that judged it and what was done. A
    // record sent again is judged again: the same violation is one row, the
    // last judgement's (read with FINAL). It holds no property's value, but
    // a sender's event names and keys may name a person: erasure finds the
    // rows by the record's profile and user ids. Rows expire after 30 days.
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.database}.plan_violations${onCluster(t)} (
        source_id LowCardinality(String),
        received_at ${DT},
        event_id String,
        profile_id String,
        user_id String,
        call LowCardinality(String),
        name String,
        field String,
        reason LowCardinality(String),
        message String,
        plan_version LowCardinality(String),
        action LowCardinality(String),
        stream_seq UInt64
      ) ${engine(t, 'plan_violations', 'ReplacingMergeTree', 'received_at')}
      ORDER BY (source_id, event_id, field, reason, message)
      TTL toDateTime(received_at) + INTERVAL 30 DAY
      SETTINGS ${PROMPT_CLEANUP}${t.replicated ? '' : ', non_replicated_deduplication_window = 1000'}`,
    ],
  },
  {
    version: 13,
    name: 'dead-letter redrives',
    // A dead letter's redrives (docs/operations.md): redriven_by is the task
    // that sent it through, written with the letter's row again once it went
    // through (so a second redrive passes it by); last_redrive is the task in
    // whose redrive it failed again, written with its new reason.
    statements: (t) => [
      `ALTER TABLE ${t.database}.dead_letters${onCluster(t)}
        ADD COLUMN IF NOT EXISTS redriven_by String DEFAULT '',
        ADD COLUMN IF NOT EXISTS redriven_at Nullable(${DT}),
        ADD COLUMN IF NOT EXISTS last_redrive String DEFAULT ''`,
    ],
  },
  {
    version: 14,
    name: 'redrives in accounting_minutes',
    statements: (t) => [accountingMinutes(t, 'CREATE OR REPLACE VIEW', true)],
  },
];
