/**
 * Every setting of Tributary in one table: its environment variable, its
 * default, its parser and what it does. The typed Config is derived from this
 * table, and docs/configuration.md documents the same table.
 */
import { DEFAULT_LIMITS } from '../contract/limits';
import ms from 'ms';
import { apiKeys, apiKeysFile, boolean, byteSize, duration, hostPort, integer, ipAddresses, key, oneOf, optionalToken, origins, syncInterval, text, token, type Parser } from './parsers';

/** One setting: where it comes from, its default, how it is read, what it does. */
export interface Setting<T> {
  readonly env: string;
  readonly fallback: string;
  readonly parse: Parser<T>;
  readonly doc: string;
  /** A secret is read from the environment only, never from a command-line flag, where `ps` would show it. */
  readonly secret: boolean;
}

const setting = <T>(env: string, fallback: string, parse: Parser<T>, doc: string): Setting<T> => ({ env, fallback, parse, doc, secret: false });
/** A secret setting: empty by default, and never a flag. */
const secret = <T>(env: string, parse: Parser<T>, doc: string): Setting<T> => ({ ...setting(env, '', parse, doc), secret: true });
const limit = (env: string, value: number, doc: string): Setting<number> => setting(env, String(value), integer(1, 1_000_000_000), doc);

/** The settings table. */
export const SETTINGS = {
  grpcAddr: setting('TRIBUTARY_GRPC_ADDR', '127.0.0.1:50051', hostPort, 'Address the gRPC server listens on (port 0 picks a free port).'),
  apiKeys: secret('TRIBUTARY_API_KEYS', apiKeys, 'API keys, comma-separated: key=source (a key of at least 16 characters) or sha256:<hex of the SHA-256 of the key>=source.'),
  apiKeysFile: setting(
    'TRIBUTARY_API_KEYS_FILE',
    '',
    apiKeysFile,
    'A file of sha256:<hex of the SHA-256 of the key>=source lines (never the keys themselves), added to TRIBUTARY_API_KEYS; a change takes effect within 5 s without a restart, and a bad change is refused and the last good keys stay (docs/configuration.md).',
  ),
  sourcesFile: setting(
    'TRIBUTARY_SOURCES_FILE',
    '',
    text,
    'A JSON file of per-source settings (trusted, identitySecret, rateLimit), reloaded within seconds when it changes; a bad change is refused and the last good file stays (docs/configuration.md).',
  ),
  tlsCertFile: setting(
    'TRIBUTARY_TLS_CERT_FILE',
    '',
    text,
    'PEM certificate (chain) of the gRPC and HTTP listeners; set it with TRIBUTARY_TLS_KEY_FILE to serve TLS only. Reloaded within seconds when the file changes.',
  ),
  tlsKeyFile: setting('TRIBUTARY_TLS_KEY_FILE', '', text, 'PEM private key of TRIBUTARY_TLS_CERT_FILE.'),
  tlsClientCaFile: setting('TRIBUTARY_TLS_CLIENT_CA_FILE', '', text, "PEM CA of clients' certificates: when set, both listeners require a client certificate it signed (mutual TLS)."),
  httpAddr: setting(
    'TRIBUTARY_HTTP_ADDR',
    '127.0.0.1:8080',
    hostPort,
    'Address of the HTTP endpoint of serve, gateway and sink: /healthz, /readyz, /metrics, and the admin query where the sink runs.',
  ),
  corsOrigins: setting(
    'TRIBUTARY_CORS_ORIGINS',
    '',
    origins,
    'Browser origins allowed to call gRPC-Web on the HTTP endpoint, comma-separated (https://app.example.com, or * for any); none by default.',
  ),
  grpcWebMaxBodyBytes: setting(
    'TRIBUTARY_GRPC_WEB_MAX_BODY',
    '8MiB',
    byteSize(1024),
    'Largest gRPC-Web request body (all its frames), and largest body of the HTTP doors (Connect, Intempt, Segment) before and after gzip; larger is RESOURCE_EXHAUSTED (413).',
  ),
  contextFromConnection: setting(
    'TRIBUTARY_CONTEXT_FROM_CONNECTION',
    'true',
    boolean,
    "Whether the HTTP doors fill a record's context.ip and context.user_agent, when it has none, from the connection.",
  ),
  trustedProxies: setting(
    'TRIBUTARY_TRUSTED_PROXIES',
    '',
    ipAddresses,
    'Peer addresses of proxies whose X-Forwarded-For names the client, comma-separated; from any other peer the header is ignored.',
  ),
  authFailureLimit: setting(
    'TRIBUTARY_AUTH_FAILURE_LIMIT',
    '20',
    integer(1, 1_000_000),
    'Failed authentications (a missing or unknown key) one client address may make within TRIBUTARY_AUTH_FAILURE_WINDOW; after that it is answered RESOURCE_EXHAUSTED (429 with Retry-After) until the window passes, without a key compared or a body read.',
  ),
  authFailureWindowMs: setting('TRIBUTARY_AUTH_FAILURE_WINDOW', '1m', duration(1000), "The window of TRIBUTARY_AUTH_FAILURE_LIMIT, from a client address's first failed authentication."),
  adminKey: secret(
    'TRIBUTARY_ADMIN_KEY',
    key,
    'Bearer key of the admin query endpoint (at least 16 characters; failed attempts are throttled per client address as on the doors); serve creates one in dev mode when empty.',
  ),
  adminQueryMaxRows: setting('TRIBUTARY_ADMIN_QUERY_MAX_ROWS', '10000', integer(1, 10_000_000), 'Most rows an admin query answers; the answer says when it was cut.'),
  adminQueryMaxBytes: setting('TRIBUTARY_ADMIN_QUERY_MAX_BYTES', '16MiB', byteSize(1024), 'Most bytes of rows (as JSON) an admin query answers; the answer says when it was cut.'),
  adminQueryTimeoutMs: setting('TRIBUTARY_ADMIN_QUERY_TIMEOUT', '30s', duration(1000), 'Longest an admin query runs before the engine stops it.'),
  adminQueryMaxMemory: setting('TRIBUTARY_ADMIN_QUERY_MAX_MEMORY', '512MiB', byteSize(16 * 1024 * 1024), 'Most memory one admin query may use; more fails the query, not the service.'),
  adminQueryQueue: setting('TRIBUTARY_ADMIN_QUERY_QUEUE', '4', integer(0, 1000), 'Most admin queries waiting while one runs (they run one at a time); more are refused with 429 and Retry-After.'),
  natsUrl: secret('NATS_URL', text, 'NATS server URL(s), comma-separated; empty: serve starts its own nats-server, gateway and sink use nats://127.0.0.1:4222.'),
  natsCredsFile: setting('NATS_CREDS_FILE', '', text, 'A NATS creds file (user JWT and nkey seed) to connect with.'),
  natsNkeySeedFile: setting('NATS_NKEY_SEED_FILE', '', text, 'A file holding the nkey seed to connect to NATS with.'),
  natsUser: setting('NATS_USER', '', text, 'User name to connect to NATS with (with NATS_PASSWORD); serve sets its own for the nats-server it runs.'),
  natsPassword: secret('NATS_PASSWORD', text, 'Password of NATS_USER.'),
  natsToken: secret('NATS_TOKEN', text, 'A token to connect to NATS with.'),
  natsTlsCaFile: setting('NATS_TLS_CA_FILE', '', text, "PEM file of the CA that signed the NATS servers' certificates; set it (or a client certificate) to require TLS."),
  natsTlsCertFile: setting('NATS_TLS_CERT_FILE', '', text, 'PEM client certificate for NATS servers that verify clients (mutual TLS), with NATS_TLS_KEY_FILE.'),
  natsTlsKeyFile: setting('NATS_TLS_KEY_FILE', '', text, 'PEM private key of NATS_TLS_CERT_FILE.'),
  stream: setting('TRIBUTARY_STREAM', 'TRIBUTARY', token, 'Name of the JetStream stream records are published to.'),
  subjectPrefix: setting('TRIBUTARY_SUBJECT_PREFIX', 'tributary', token, 'First token of every subject: <prefix>.<source>.event.<call> and <prefix>.<source>.product.'),
  duplicateWindowMs: setting('TRIBUTARY_STREAM_DUPLICATE_WINDOW', '2m', duration(1000), "How long the stream remembers event ids to answer DUPLICATE (JetStream's duplicate window)."),
  maxAgeMs: setting('TRIBUTARY_STREAM_MAX_AGE', '7d', duration(60_000), 'How long the stream keeps records; the sink must read them within this time.'),
  natsSync: setting(
    'TRIBUTARY_NATS_SYNC',
    'default',
    syncInterval,
    "How often serve's embedded nats-server syncs JetStream's files to disk: default (the server's own, every 2 minutes), always (before each PubAck), or an interval such as 1s. What each loses on a power cut: docs/faults.md. Needs nats-server 2.10 or later (NATS_SERVER_BIN); a cluster sets `sync_interval` in its own configuration.",
  ),
  maxStreamBytes: setting(
    'TRIBUTARY_STREAM_MAX_BYTES',
    'unlimited',
    byteSize(1024 * 1024, true),
    'Most bytes the stream holds, kept by the gateways (each reads the stream every 250 ms, so it may be passed by what they accept in between); when full, new records are refused (RESOURCE_EXHAUSTED with RetryInfo), never old ones dropped; past 80% of it, the sink purges the records every consumer has acknowledged.',
  ),
  replicas: setting('TRIBUTARY_STREAM_REPLICAS', '1', integer(1, 5), 'Copies of the stream in a JetStream cluster.'),
  maxRecordsPerRequest: setting('TRIBUTARY_MAX_RECORDS_PER_REQUEST', '500', integer(1, 100_000), 'Most records in one request; more is INVALID_ARGUMENT.'),
  maxRequestBytes: setting('TRIBUTARY_MAX_REQUEST_BYTES', '4MiB', byteSize(1024), 'Largest request message; larger is RESOURCE_EXHAUSTED.'),
  maxRecordBytes: setting('TRIBUTARY_MAX_RECORD_BYTES', `${DEFAULT_LIMITS.maxRecordBytes / 1024}KiB`, byteSize(256), 'Largest encoded record; a larger one is REJECTED with TOO_LARGE.'),
  maxInFlight: setting('TRIBUTARY_MAX_IN_FLIGHT', '20000', integer(1, 10_000_000), 'Most records published and waiting for their PubAck; a request beyond it is RESOURCE_EXHAUSTED.'),
  maxInFlightBytes: setting(
    'TRIBUTARY_MAX_IN_FLIGHT_BYTES',
    '64MiB',
    byteSize(64 * 1024),
    'Most bytes of records published and waiting for their PubAck; a request beyond it is RESOURCE_EXHAUSTED with RetryInfo (a request alone always goes through).',
  ),
  accounting: setting(
    'TRIBUTARY_ACCOUNTING',
    'true',
    boolean,
    "Whether each gateway puts its answers' counts (and rejection samples) on the accounting stream before it answers, and the sink writes them to ClickHouse (docs/accounting.md); off to measure what it costs, or on a second sink deployment (the stream is one deployment's work queue).",
  ),
  rejectionSamples: setting('TRIBUTARY_REJECTION_SAMPLES', '10', integer(0, 1000), 'Rejected records kept as samples per source, reason and minute (the rejections table, kept 7 days); 0 keeps none.'),
  publishTimeoutMs: setting('TRIBUTARY_PUBLISH_TIMEOUT', '5s', duration(10), 'How long to wait for a PubAck before answering UNAVAILABLE.'),
  shutdownTimeoutMs: setting('TRIBUTARY_SHUTDOWN_TIMEOUT', '10s', duration(0), 'How long a graceful shutdown waits for calls in flight before cancelling them.'),
  startTimeoutMs: setting(
    'TRIBUTARY_START_TIMEOUT',
    '2m',
    duration(1000),
    'How long a start waits for NATS and ClickHouse (connecting, the stream and its consumers, migrations), retrying with backoff and saying in /readyz what it waits for, before it exits non-zero with the reason.',
  ),
  dataDir: setting('TRIBUTARY_DATA_DIR', './data', text, 'Folder for local state: the embedded ClickHouse (and the embedded NATS store of `serve`).'),
  clickhouseUrl: secret('CLICKHOUSE_URL', text, 'A ClickHouse server, such as http://user:pass@host:8123; empty uses the embedded engine (chDB) under TRIBUTARY_DATA_DIR.'),
  clickhouseDatabase: setting('TRIBUTARY_CLICKHOUSE_DATABASE', 'tributary', token, 'Database that holds the tables.'),
  clickhouseCluster: setting('TRIBUTARY_CLICKHOUSE_CLUSTER', '', optionalToken, 'Cluster name for ON CLUSTER DDL; empty for a single server.'),
  clickhouseReplicated: setting('TRIBUTARY_CLICKHOUSE_REPLICATED', 'false', boolean, 'Use Replicated*MergeTree engines (needs a cluster with Keeper and {shard}/{replica} macros).'),
  sinkConsumer: setting('TRIBUTARY_SINK_CONSUMER', 'tributary-sink', token, 'Durable consumer the sinks share.'),
  sinkBatchSize: setting('TRIBUTARY_SINK_BATCH_SIZE', '10000', integer(1, 1_000_000), 'Most messages in one sink batch.'),
  sinkBatchWaitMs: setting('TRIBUTARY_SINK_BATCH_WAIT', '1s', duration(1000), 'Longest a sink batch waits to fill up (at least 1s, a NATS client limit).'),
  sinkAckWaitMs: setting('TRIBUTARY_SINK_ACK_WAIT', '30s', duration(1000), 'How long JetStream waits for an ack before redelivering; the sink keeps it alive while it retries.'),
  sinkMaxDeliveries: setting('TRIBUTARY_SINK_MAX_DELIVERIES', '5', integer(1, 1000), 'Deliveries of a record ClickHouse rejects as invalid before it goes to the dead letters.'),
  sinkRetryMaxMs: setting('TRIBUTARY_SINK_RETRY_MAX', '30s', duration(10), 'Longest pause between retries of a failing insert (exponential backoff from 100ms).'),
  sinkStallAfterMs: setting(
    'TRIBUTARY_SINK_STALL_AFTER',
    '1m',
    duration(1000),
    'How long a batch of the sink or the identity stage may keep failing before that stage turns /readyz not ready with the reason (it keeps retrying).',
  ),
  identityConsumer: setting(
    'TRIBUTARY_IDENTITY_CONSUMER',
    'tributary-identity',
    token,
    "Name prefix of the identity stage's durable consumers (<name>-identify, <name>-alias and <name>-consent); deleting them rebuilds the identity graph and the spread of consent from the stream.",
  ),
  identityMaxGroup: setting(
    'TRIBUTARY_IDENTITY_MAX_GROUP',
    '100',
    integer(2, 1_000_000),
    "Most ids (profile and user ids) one person's identity group may hold; a link that would make a larger group is refused and set aside as a dead letter.",
  ),
  logLevel: setting('TRIBUTARY_LOG_LEVEL', 'info', oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'), 'Least severe log level written.'),
  maxEventIdLength: limit('TRIBUTARY_MAX_EVENT_ID_LENGTH', DEFAULT_LIMITS.maxEventIdLength, 'Longest event_id.'),
  maxIdLength: limit('TRIBUTARY_MAX_ID_LENGTH', DEFAULT_LIMITS.maxIdLength, 'Longest profile, user, session, account, page or product id.'),
  maxNameLength: limit('TRIBUTARY_MAX_NAME_LENGTH', DEFAULT_LIMITS.maxNameLength, 'Longest track name, consent source, category or email, brand, or tag.'),
  maxTextLength: limit('TRIBUTARY_MAX_TEXT_LENGTH', DEFAULT_LIMITS.maxTextLength, 'Longest free text: titles, descriptions, URLs, context strings, strings in Structs.'),
  maxStructDepth: limit('TRIBUTARY_MAX_STRUCT_DEPTH', DEFAULT_LIMITS.maxStructDepth, 'Deepest nesting of a Struct payload.'),
  maxStructEntries: limit('TRIBUTARY_MAX_STRUCT_ENTRIES', DEFAULT_LIMITS.maxStructEntries, 'Most keys plus list items in one Struct payload.'),
  maxKeyLength: limit('TRIBUTARY_MAX_KEY_LENGTH', DEFAULT_LIMITS.maxKeyLength, 'Longest key in a Struct payload.'),
  maxTags: limit('TRIBUTARY_MAX_TAGS', DEFAULT_LIMITS.maxTags, 'Most tags on a product.'),
  maxFutureMs: setting('TRIBUTARY_MAX_FUTURE', ms(DEFAULT_LIMITS.maxFutureMs), duration(0), 'How far ahead of the server clock a corrected timestamp may lie.'),
} as const;

/**
 * Variables the clients read (`tributary send`, the examples), not settings
 * of a server: a server started from the same shell accepts and ignores
 * them, instead of refusing them as unknown settings.
 */
export const CLIENT_VARIABLES: readonly string[] = ['TRIBUTARY_API_KEY'];

/** The name of a setting. */
export type SettingName = keyof typeof SETTINGS;

/** The typed, frozen configuration: one value per setting. */
export type Config = { readonly [K in SettingName]: ReturnType<(typeof SETTINGS)[K]['parse']> };
