/**
 * B2, raw ClickHouse: the record mix's rows inserted straight into the same
 * tables (made by the same migrations) in the embedded engine, at the sink's
 * batch size and in its format (one TabSeparated buffer per table and batch,
 * through the same raw insert), with nothing of the sink in the way: the
 * lines are made before the clock starts. Run as a child process by bench/run.ts, on a data folder of its own.
 */
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { loadConfig } from '../../src/config/load';
import { RowBuffers } from '../../src/sink/row-buffers';
import { sinkRow } from '../../src/sink/sink-batches';
import { createClickHouse } from '../../src/storage/clickhouse-client';
import { bodyOf } from '../../src/storage/clickhouse-writer';
import { insertRaw } from '../../src/storage/raw-insert';
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
  const lines = new RowBuffers();
  const rows = envelopesOf(recordMix(0, plan.records, plan.run)).map((bytes, i) => sinkRow(bytes, i + 1, lines));
  const start = performance.now();
  for (let i = 0; i < rows.length; i += plan.batchSize) {
    const batch = rows.slice(i, i + plan.batchSize);
    for (const table of ['events', 'products']) {
      const ofTable = batch.filter((r) => r.table === table);
      if (ofTable.length > 0)
        await insertRaw(client, {
          table: `${config.clickhouseDatabase}.${table}`,
          body: bodyOf(ofTable),
          columns: ofTable[0].columns,
          settings: { insert_deduplication_token: `${plan.run}-${table}-${i}` },
        });
    }
  }
  const seconds = (performance.now() - start) / 1000;
  await client.close();
  return { seconds, rowsPerSecond: Math.round(plan.records / seconds) };
});
