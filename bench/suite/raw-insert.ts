/**
 * B2, raw ClickHouse: the record mix's rows inserted straight into the same
 * tables (made by the same migrations) in the embedded engine, at the sink's
 * batch size and in its format (JSONEachRow), with nothing of the sink in
 * the way. Run as a child process by bench/run.ts, on a data folder of its own.
 */
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { loadConfig } from '../../src/config/load';
import { Envelope } from '../../src/gen/tributary/ingest/v1/envelope';
import { toTableRow } from '../../src/sink/rows';
import { createClickHouse, SETTINGS } from '../../src/storage/clickhouse-client';
import { migrate } from '../../src/storage/migrate';
import { childMain } from './child-main';
import { envelopesOf, recordMix } from './record-mix';

/** Where and what to insert. */
export interface RawInsertPlan {
  readonly dataDir: string;
  readonly run: string;
  readonly records: number;
  readonly batchSize: number;
}

childMain(async (plan: RawInsertPlan) => {
  const config = loadConfig({}, { dataDir: plan.dataDir });
  const client = createClickHouse(config);
  await migrate(client, { database: config.clickhouseDatabase, cluster: '', replicated: false }, pino({ level: 'warn' }));
  const rows = envelopesOf(recordMix(0, plan.records, plan.run)).map((bytes, i) => toTableRow(Envelope.decode(bytes), i + 1));
  const start = performance.now();
  for (let i = 0; i < rows.length; i += plan.batchSize) {
    const batch = rows.slice(i, i + plan.batchSize);
    for (const table of ['events', 'products']) {
      const values = batch.filter((r) => r.table === table).map((r) => r.row);
      if (values.length > 0) await client.insert({ table: `${config.clickhouseDatabase}.${table}`, values, format: 'JSONEachRow', clickhouse_settings: SETTINGS });
    }
  }
  const seconds = (performance.now() - start) / 1000;
  await client.close();
  return { seconds, rowsPerSecond: Math.round(plan.records / seconds) };
});
