/**
 * The ClickHouse client: the embedded engine (chDB, on a folder under
 * TRIBUTARY_DATA_DIR) by default, or a ClickHouse server over HTTP when
 * CLICKHOUSE_URL is set; the same @clickhouse/client API either way. Also the
 * settings every statement runs with, and the server version check.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import type { ChdbExtension } from 'chdb/connection';
import type { Config } from '../config/settings';

/** The oldest ClickHouse Tributary supports: the JSON column type is generally available from 25.3. */
export const MINIMUM_VERSION = '25.3';

/**
 * Settings that differ between chDB and servers or between versions, set
 * explicitly on every statement: 64-bit integers as JSON numbers (sequences
 * stay below 2^53), synchronous inserts (acks follow durable inserts), and the
 * plain date-time input format the sink writes.
 */
export const SETTINGS: ClickHouseSettings = Object.freeze({
  output_format_json_quote_64bit_integers: 0,
  async_insert: 0,
  date_time_input_format: 'basic',
});

/** The rows of one SELECT, its values bound as query parameters, with {@link SETTINGS}. */
export async function selectRows<T>(client: ClickHouseClient, query: string, params: { readonly [name: string]: unknown } = {}): Promise<T[]> {
  return (await client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: SETTINGS })).json<T>();
}

/** The folder of the embedded engine. */
export const embeddedPath = (config: Config): string => resolve(join(config.dataDir, 'clickhouse'));

/**
 * chDB, loaded on first use: its native library adds about 160 MB to a
 * process's resident memory, and a gateway (or any command that only names
 * this module's errors) never opens the engine.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a static import would load the library into every process
const chdbConnection = (): typeof import('chdb/connection') => require('chdb/connection') as typeof import('chdb/connection');

/** The raw chDB surface behind each embedded client (for inserts that bypass the client's per-row path). */
const embedded = new WeakMap<ClickHouseClient, ChdbExtension>();

/** The chDB session behind `client`, or undefined when it talks to a server. */
export const embeddedSession = (client: ClickHouseClient): ChdbExtension | undefined => embedded.get(client);

/**
 * Creates the client the configuration asks for: a new session of the
 * embedded engine (several share its folder), or a server client whose
 * current database is `database` when one is given.
 */
export function createClickHouse(config: Config, database?: string): ClickHouseClient {
  if (config.clickhouseUrl !== '') return createClient({ url: config.clickhouseUrl, request_timeout: 60_000, database });
  const path = embeddedPath(config);
  mkdirSync(path, { recursive: true });
  // chdb implements the Connection interface of its own copy of
  // @clickhouse/client-common; the shapes are the same, the declarations differ.
  const chdb = chdbConnection().createChdbConnection({ path });
  const client = createClient({ connection: chdb as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'] });
  embedded.set(client, chdb.chdb);
  return client;
}

/** The server refused: older than {@link MINIMUM_VERSION}. */
export class UnsupportedVersionError extends Error {
  constructor(readonly version: string) {
    super(
      `ClickHouse ${version} is older than ${MINIMUM_VERSION}, the oldest version Tributary supports (it needs the JSON column type); upgrade the server or leave CLICKHOUSE_URL unset to use the embedded engine`,
    );
    this.name = 'UnsupportedVersionError';
  }
}

const parts = (version: string): number[] => version.split('.').map((p) => Number.parseInt(p, 10) || 0);

/** Whether `version` is at least `minimum`, comparing dotted numbers. */
export function isAtLeast(version: string, minimum: string): boolean {
  const [a, b] = [parts(version), parts(minimum)];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/** Reads the server's version (with no settings, which old servers may not know) and refuses one that is too old. */
export async function checkVersion(client: ClickHouseClient): Promise<string> {
  const result = await client.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' });
  const [{ version }] = await result.json<{ version: string }>();
  if (!isAtLeast(version, MINIMUM_VERSION)) throw new UnsupportedVersionError(version);
  return version;
}
