/**
 * What the README promises, end to end with the built CLI: `tributary serve`
 * on free ports and a temporary data folder (its own nats-server, the
 * embedded ClickHouse, dev keys), `tributary send` of the valid fixtures,
 * `tributary query` showing them while serve runs (and refusing a write),
 * everything still there after a restart, and the tour's second device
 * stitched to the fixtures' profile, as `tributary identities explain` shows.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANY_PORTS, listeningPorts, queryEmbedded, startCli, type CliProcess } from '../../helpers/cli-process';
import { FIXTURES_DIR } from '../../helpers/fixtures';
import { waitReady } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(120_000);
let dataDir: string;
let env: NodeJS.ProcessEnv;
let httpPort: number;
let grpcPort: number;
const validFiles = () => readdirSync(join(FIXTURES_DIR, 'valid')).map((f) => join(FIXTURES_DIR, 'valid', f));

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tributary-serve-'));
  env = { TRIBUTARY_DATA_DIR: dataDir, ...ANY_PORTS };
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Starts serve on the test's data folder, on ports it picks (each start may take others). */
async function serve(): Promise<CliProcess> {
  const served = startCli(['serve'], env);
  ({ grpc: grpcPort, http: httpPort } = await listeningPorts(served, true));
  await waitReady(httpPort);
  return served;
}

async function stop(served: CliProcess): Promise<void> {
  served.child.kill('SIGTERM');
  expect(await served.exited).toBe(0);
}

/** Sends `files` as the README does: `send` finds the dev key in the data folder. */
async function sendFixtures(files: string[]): Promise<{ code: number | string; output: string }> {
  const sent = startCli(['send', '--address', `127.0.0.1:${grpcPort}`, ...files], { TRIBUTARY_DATA_DIR: dataDir });
  return { code: await sent.exited, output: sent.output() };
}

const metric = async (name: string): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line === undefined ? 0 : Number(line.split(' ').pop());
};

const stored = async () => {
  const [row] = await queryEmbedded<{ events: number; products: number; profiles: number }>(
    dataDir,
    `SELECT (SELECT count() FROM tributary.events_final) AS events, (SELECT count() FROM tributary.products_final) AS products, (SELECT count() FROM tributary.profiles_current) AS profiles`,
  );
  return row;
};

it('serves, stores the fixtures, and keeps them across a restart', async () => {
  let served = await serve();
  expect(served.output()).toContain('Dev mode');
  const first = await sendFixtures(validFiles());
  expect(first.code).toBe(0);
  expect(first.output).toContain('9 records: 9 accepted, 0 duplicate, 0 rejected');
  await waitFor('the sink to write every row', async () =>
    (await metric('tributary_rows_written_total{table="events"}')) === 6 && (await metric('tributary_rows_written_total{table="products"}')) === 3 ? true : undefined,
  );
  const counted = startCli(['query', '--json', '--address', `127.0.0.1:${httpPort}`, 'SELECT call, count() AS n FROM tributary.events_final GROUP BY call ORDER BY call'], {
    TRIBUTARY_DATA_DIR: dataDir,
  });
  expect(await counted.exited).toBe(0);
  expect(
    counted
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line)),
  ).toEqual(['alias', 'consent', 'group', 'identify', 'page', 'track'].map((call) => ({ call, n: 1 })));
  const refused = startCli(['query', '--address', `127.0.0.1:${httpPort}`, 'DROP TABLE tributary.events'], { TRIBUTARY_DATA_DIR: dataDir });
  expect(await refused.exited).toBe(1);
  expect(refused.output()).toContain('query failed (HTTP 400): only SELECT statements may run');
  await stop(served);
  expect(await stored()).toEqual({ events: 6, products: 3, profiles: 1 });

  served = await serve();
  const again = await sendFixtures(validFiles());
  expect(again.output).toContain('9 records: 0 accepted, 9 duplicate, 0 rejected');
  const invalid = join(dataDir, 'invalid.json');
  writeFileSync(invalid, JSON.stringify((JSON.parse(readFileSync(join(FIXTURES_DIR, 'invalid', 'profile-id-missing.json'), 'utf8')) as { record: unknown }).record));
  const rejected = await sendFixtures([invalid]);
  expect(rejected.code).toBe(1);
  expect(rejected.output).toMatch(/REJECTED.*\n.*event\.profile_id: REQUIRED/);
  await stop(served);
  expect(await stored()).toEqual({ events: 6, products: 3, profiles: 1 });
});

it("stitches the tour's laptop to the fixtures' profile, finds its events by master id, and explains why", async () => {
  const served = await serve();
  const sent = await sendFixtures([join(__dirname, '..', '..', '..', 'examples', 'identity', 'laptop.ndjson')]);
  expect(sent.output).toContain('3 records: 3 accepted, 0 duplicate, 0 rejected');
  const address = `127.0.0.1:${httpPort}`;
  await waitFor('the laptop to be stitched', async () => {
    const masters = startCli(['query', '--json', '--address', address, "SELECT master_id FROM tributary.profile_masters_current WHERE profile_id = 'anon_laptop_7f3c'"], {
      TRIBUTARY_DATA_DIR: dataDir,
    });
    await masters.exited;
    return masters.output().includes('usr_12ab45c99d77') ? true : undefined;
  });

  const stitched = startCli(
    ['query', '--json', '--address', address, "SELECT profile_id, count() AS n FROM tributary.events_stitched WHERE master_id = 'usr_12ab45c99d77' GROUP BY profile_id ORDER BY profile_id"],
    { TRIBUTARY_DATA_DIR: dataDir },
  );
  expect(await stitched.exited).toBe(0);
  expect(
    stitched
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line)),
  ).toEqual([
    { profile_id: 'anon_laptop_7f3c', n: 3 },
    { profile_id: 'usr_12ab45c99d77', n: 6 },
  ]);

  const explained = startCli(['identities', 'explain', '--json', '--address', address, 'anon_laptop_7f3c'], { TRIBUTARY_DATA_DIR: dataDir });
  expect(await explained.exited).toBe(0);
  const explanation = JSON.parse(explained.output()) as { masterId: string; members: string[]; path: { eventId: string; left: string; right: string }[]; stored: { masterId: string } };
  expect(explanation.masterId).toBe('usr_12ab45c99d77');
  expect(explanation.stored.masterId).toBe('usr_12ab45c99d77');
  expect(explanation.members).toEqual(['profile:anon_laptop_7f3c', 'profile:usr_12ab45c99d77', 'user:ada@example.com', 'user:crm_000042']);
  expect(explanation.path.map((l) => [l.left, l.eventId, l.right])).toEqual([
    ['profile:anon_laptop_7f3c', 'evt_laptop_03', 'user:ada@example.com'],
    ['user:ada@example.com', 'evt_identify_01', 'profile:usr_12ab45c99d77'],
  ]);
  await stop(served);
});
