/**
 * The real ClickHouse engine (chDB) for tests. chDB allows one data folder per
 * process, so every test file run by one jest worker shares a folder made for
 * that process, and each test file works in databases of its own.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { loadConfig } from '../../src/config/load';
import { createClickHouse, SETTINGS } from '../../src/storage/clickhouse-client';

let shared: { client: ClickHouseClient; dataDir: string } | undefined;

/**
 * This process's embedded ClickHouse. Jest loads this module afresh for each
 * test file, but chDB's session lives as long as the process, so the folder is
 * named by the process id; it is removed when the process exits.
 */
export function processClickHouse(): { client: ClickHouseClient; dataDir: string } {
  if (shared === undefined) {
    const dataDir = join(tmpdir(), `tributary-chdb-${process.pid}`);
    mkdirSync(dataDir, { recursive: true });
    shared = { client: createClickHouse(loadConfig({}, { dataDir })), dataDir };
    process.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  }
  return shared;
}

/** A fresh database name. */
export const randomDatabase = (): string => `t_${randomBytes(5).toString('hex')}`;

/** Runs a query and returns its rows, with the settings the sink uses. */
export async function select<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow', clickhouse_settings: SETTINGS })).json<T>();
}

/** The single number a `SELECT count() AS n …` query returns. */
export async function count(client: ClickHouseClient, query: string): Promise<number> {
  const [row] = await select<{ n: number | string }>(client, query);
  return Number(row.n);
}
