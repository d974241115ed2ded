/**
 * TRIBUTARY_NATS_SYNC: serve's embedded nats-server syncs JetStream's files
 * as the setting says. It needs nats-server 2.10 (`sync_interval`): serve
 * refuses it, naming the version, on Debian bookworm's 2.9.10 (what these
 * machines install), and with the 2.10
 * that scripts/fetch-nats-server-2.10.sh fetches (make test-servers runs
 * it) it writes the setting into the server's configuration and ingests.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natsServerVersion } from '../../../src/serve/embedded-nats';
import { findNatsServer } from '../../../src/serve/nats-server-process';
import { startCli } from '../../helpers/cli-process';
import { LoadClient } from '../../helpers/load-client';
import { natsServer210 } from '../../helpers/nats-server';
import { ServeProcess } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(120_000);

/** nats-server 2.10, fetched by `make test-servers`. */

it("refuses a sync setting on Debian bookworm's nats-server (2.9.10), naming its version", async () => {
  const debian = findNatsServer() as string;
  expect(natsServerVersion(debian)?.slice(0, 2)).toEqual([2, 9]);
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-sync-'));
  try {
    const served = startCli(['serve'], { NATS_URL: '', NATS_SERVER_BIN: debian, TRIBUTARY_NATS_SYNC: 'always', TRIBUTARY_DATA_DIR: dataDir });
    expect(await served.exited).toBe(1);
    expect(served.output()).toContain(`TRIBUTARY_NATS_SYNC needs nats-server 2.10 or later, and ${debian} is 2.9`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it.each(['always', '1s'])('syncs as TRIBUTARY_NATS_SYNC=%s says, and ingests', async (sync) => {
  const served = await ServeProcess.start('', { NATS_SERVER_BIN: natsServer210(), TRIBUTARY_NATS_SYNC: sync });
  try {
    expect(readFileSync(join(served.dataDir, 'nats-server.conf'), 'utf8')).toContain(`sync_interval: ${sync === 'always' ? 'always' : '"1000ms"'}`);
    const client = new LoadClient({
      address: `127.0.0.1:${served.grpcPort}`,
      apiKey: served.apiKey,
      prefix: `sync${sync}`,
      total: 200,
      batchSize: 50,
      concurrency: 2,
      giveUpAfterMs: 30_000,
      seed: 1,
      ratePerSecond: 1_000,
    });
    await client.run();
    expect(client.tally()).toMatchObject({ failed: 0 });
    const accepted = client.ids('accepted').length;
    await waitFor('the records to be stored', async () => {
      const [row] = await served.query<{ n: string }>(`SELECT count() AS n FROM tributary.events WHERE startsWith(event_id, 'sync${sync}-')`);
      return Number(row?.n) === accepted ? true : undefined;
    });
  } finally {
    await served.stop();
  }
});
