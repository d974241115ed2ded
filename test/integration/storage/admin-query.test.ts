/**
 * The admin query on the real engine, on a session of its own beside the
 * session a sink writes with: one allowed SELECT runs, bounded in rows,
 * bytes, memory and time; every way to read a file, a system table or
 * another database is refused before anything runs; a full queue answers
 * busy; an abandoned query is killed; and a heavy query does not hold up
 * the other session's inserts.
 */
import { loadConfig } from '../../../src/config/load';
import { AdminQueries, AdminQueryBusy, AdminQueryRefused, AdminQueryStopped, type AdminQueryLimits } from '../../../src/storage/admin-query';
import { count, processClickHouse, randomDatabase } from '../../helpers/clickhouse';
import { waitFor } from '../../helpers/wait';

const { client, dataDir } = processClickHouse();
const db = randomDatabase();
const other = randomDatabase();
const LIMITS: AdminQueryLimits = { maxRows: 10, maxBytes: 1024 * 1024, maxSeconds: 20, maxMemoryBytes: 256 * 1024 * 1024, maxQueued: 0 };
/** A query that runs until its time bound or a kill. */
const HEAVY = 'SELECT count() FROM numbers(1000000000000) WHERE number % 7 = 3';
let admin: AdminQueries;

beforeAll(async () => {
  for (const name of [db, other]) {
    await client.command({ query: `CREATE DATABASE ${name}` });
    await client.command({ query: `CREATE TABLE ${name}.t (id UInt32) ENGINE = MergeTree ORDER BY id` });
    await client.command({ query: `INSERT INTO ${name}.t SELECT number FROM numbers(100)` });
  }
  admin = await AdminQueries.open(loadConfig({}, { dataDir, clickhouseDatabase: db }), client, LIMITS);
});
afterAll(() => admin.close());

/** How many admin queries the engine is running. */
const adminQueriesRunning = async (): Promise<number> => count(client, `SELECT count() AS n FROM system.processes WHERE query LIKE '%tributary-admin-query%' AND query NOT LIKE '%system.processes%'`);

const outcome = async (sql: string, queries = admin): Promise<string> => {
  try {
    return `ran: ${JSON.stringify(await queries.run(sql))}`;
  } catch (error) {
    return error instanceof AdminQueryRefused ? `refused: ${error.message}` : `failed: ${(error as { type?: string }).type ?? (error as Error).name}`;
  }
};

it("runs one SELECT on Tributary's database, qualified or not, and says whether the answer is whole", async () => {
  expect(await admin.run(`select count() AS n from ${db}.t where id < 42`)).toEqual({ rows: [{ n: 42 }], truncated: false });
  expect(await admin.run(`WITH c AS (SELECT id FROM t) SELECT countIf(id > 10) AS n FROM c`)).toEqual({ rows: [{ n: 89 }], truncated: false });
  expect(await admin.run(`SELECT 'Set' AS word, version() != '' AS v, toTypeName(1) AS t`)).toEqual({ rows: [{ word: 'Set', v: 1, t: 'UInt8' }], truncated: false });
});

it('refuses what is not one plain SELECT, and leaves the data alone', async () => {
  expect(await outcome(`DROP TABLE ${db}.t`)).toBe('refused: only SELECT statements may run');
  expect(await outcome(`SELECT 1; DROP TABLE ${db}.t`)).toMatch(/^refused: not one valid statement/);
  expect(await outcome(`SELECT 1) ; DROP TABLE ${db}.t; SELECT (1`)).toMatch(/^refused: not one valid statement/);
  expect(await outcome(`SELECT * FROM (SELECT id FROM ${db}.t SETTINGS readonly = 0)`)).toBe('refused: a query may not carry its own SETTINGS clause');
  expect(await count(client, `SELECT count() AS n FROM ${db}.t`)).toBe(100);
});

it.each([
  ['the scalar file()', `SELECT file('/etc/passwd') AS f`],
  ['file() of the process environment', `SELECT replaceAll(file('/proc/self/environ'), '\\0', ' | ') AS e`],
  ['file() behind an escaped name', `SELECT "fi\\x6ce"('/etc/passwd') AS f`],
  ['file() behind a back-quoted name', "SELECT `file`('/etc/passwd') AS f"],
  ['file() inside a lambda', `SELECT arrayMap(x -> file(x), ['/etc/passwd']) AS f`],
  ['file() applied to every column', `SELECT * APPLY(file) FROM (SELECT '/etc/passwd' AS p)`],
  ['file() in a REPLACE transformer', `SELECT * REPLACE (file('/etc/passwd') AS p) FROM (SELECT 1 AS p)`],
  ['file() in a scalar subquery', `SELECT (SELECT file('/etc/passwd')) AS f`],
  ['the table function file()', `SELECT * FROM file('/etc/passwd', 'LineAsString')`],
  ['the table function url()', `SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')`],
  ['the table function executable()', `SELECT * FROM executable('id', 'LineAsString', 'x String')`],
  ['the table function remote()', `SELECT * FROM remote('127.0.0.1', system.one)`],
  ['the table function s3()', `SELECT * FROM s3('http://127.0.0.1:1/x.csv')`],
  ['system.processes', `SELECT query FROM system.processes`],
  ['system.stack_trace', `SELECT * FROM system.stack_trace`],
  ['system.server_settings', `SELECT * FROM "system".server_settings`],
  ['system.disks in a join', `SELECT * FROM ${db}.t AS a JOIN system.disks AS d ON 1 = 1`],
  ['a system table as an IN set', `SELECT 'default' IN system.users AS known`],
  ['another database', `SELECT count() FROM ${other}.t`],
  ['another database through a quoted name', `SELECT count() FROM \`${other}\`.\`t\``],
  ['a dictionary', `SELECT dictGet('d', 'x', 1)`],
  ['joinGet', `SELECT joinGet('${other}.t', 'id', 1)`],
  ['a server setting', `SELECT getServerSetting('path')`],
  ['sleep', `SELECT sleep(3)`],
  ['a query parameter', `SELECT {x:String}`],
  ['a table after a line break forged in an alias', 'SELECT (1 AS `a\n      Literal b`) IN system.users'],
  ['a combinator on a function that is not an aggregate', `SELECT lowerIf('A', 1)`],
])('refuses %s before it runs', async (_, sql) => {
  expect(await outcome(sql)).toMatch(/^refused: /);
});

it('cuts an answer at its rows or its bytes, and says so', async () => {
  expect(await admin.run(`SELECT number FROM numbers(100)`)).toEqual({ rows: Array.from({ length: 10 }, (_, number) => ({ number })), truncated: 'rows' });
  const wide = await admin.run(`SELECT randomPrintableASCII(300000) AS s FROM numbers(5)`);
  expect(wide.truncated).toBe('bytes');
  expect(wide.rows.length).toBe(3);
});

it('fails a query over its memory cap, not the process', async () => {
  expect(await outcome(`SELECT length(groupArray(number)) AS n FROM numbers(400000000)`)).toBe('failed: MEMORY_LIMIT_EXCEEDED');
  expect(await admin.run(`SELECT 1 AS one`)).toEqual({ rows: [{ one: 1 }], truncated: false });
});

it('answers busy when one runs and the queue is full, and kills a query whose caller went away', async () => {
  // Bounded by two minutes, past the test's own time: only the kill can end it in time.
  const patient = await AdminQueries.open(loadConfig({}, { dataDir, clickhouseDatabase: db }), client, { ...LIMITS, maxSeconds: 120 });
  try {
    const gone = new AbortController();
    const heavy = patient.run(HEAVY, gone.signal).catch((error: unknown) => error);
    await waitFor('the heavy query to run', async () => ((await adminQueriesRunning()) > 0 ? true : undefined));
    await expect(patient.run('SELECT 1')).rejects.toBeInstanceOf(AdminQueryBusy);
    // The other session's inserts go on meanwhile.
    await client.insert({ table: `${db}.t`, values: [{ id: 1000 }], format: 'JSONEachRow' });
    expect(await count(client, `SELECT count() AS n FROM ${db}.t`)).toBe(101);
    gone.abort();
    expect(await heavy).toBeInstanceOf(AdminQueryStopped);
    // The session runs one statement at a time: the next answers only once the heavy one has ended.
    expect(await patient.run('SELECT 2 AS two')).toEqual({ rows: [{ two: 2 }], truncated: false });
  } finally {
    await patient.close();
  }
});
