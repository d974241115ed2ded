/**
 * The security suite's keys, against a real `tributary serve` with its own
 * nats-server and the embedded ClickHouse: the API keys file holds digests
 * and takes effect without a restart (a key added works and a key removed is
 * refused within 5 s; a bad change keeps the last good keys; a key given
 * itself refuses the start, naming its line); no command line on the machine
 * holds a key, neither serve's nor send's; and the data folder, even one an
 * older version left open, is for the service's user alone.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { IngestServiceClient } from '../../../src/gen/tributary/ingest/v1/ingest_service';
import { ANY_PORTS, listeningPorts, startCli, type CliProcess } from '../../helpers/cli-process';
import { FIXTURES_DIR } from '../../helpers/fixtures';
import { processesWith } from '../../helpers/processes';
import { trackRecord } from '../../helpers/records';
import { waitReady } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(180_000);

/** How soon a change to the keys file must take effect. */
const TAKES_EFFECT_MS = 5_000;
/** Between two tries of a key that is still refused: slow enough to stay far below the failed-authentication throttle. */
const RETRY_MS = 500;

const validFiles = (): string[] => readdirSync(join(FIXTURES_DIR, 'valid')).map((file) => join(FIXTURES_DIR, 'valid', file));

/** A serve started by a test, and its ports. */
interface Served {
  readonly process: CliProcess;
  readonly grpcPort: number;
  readonly httpPort: number;
}

/** Starts `tributary serve` on free ports with `env`, and waits until it is ready. */
async function serve(env: NodeJS.ProcessEnv): Promise<Served> {
  const child = startCli(['serve'], { ...ANY_PORTS, ...env });
  const ports = await listeningPorts(child, true);
  await Promise.race([waitReady(ports.http), child.exited.then((code) => Promise.reject(new Error(`serve exited (${code}): ${child.output()}`)))]);
  return { process: child, grpcPort: ports.grpc, httpPort: ports.http };
}

async function stop(served: Served): Promise<void> {
  served.process.child.kill('SIGTERM');
  expect(await served.process.exited).toBe(0);
}

/** A new key of `source` and its keys-file line, as `tributary keys --source` prints them. */
async function newKey(source: string): Promise<{ key: string; line: string }> {
  const made = startCli(['keys', '--source', source], {});
  expect(await made.exited).toBe(0);
  const [, key, , line] = made.output().trim().split('\n');
  return { key: key.trim(), line: line.trim() };
}

/** Replaces the file in one step, as docs/configuration.md advises. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.new`, text);
  renameSync(`${path}.new`, path);
}

/** How the gateway on `grpcPort` answers one record sent with `key`: "OK", or the gRPC status's name. */
function answerTo(grpcPort: number, key: string): Promise<string> {
  const client = new IngestServiceClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  return new Promise<string>((resolve) =>
    client.ingest({ records: [trackRecord(randomUUID())] }, metadata, (error: ServiceError | null) => resolve(error === null ? 'OK' : status[error.code])),
  ).finally(() => client.close());
}

/** Waits, at most TAKES_EFFECT_MS, until `key` is answered `expected`. */
const waitForAnswer = (grpcPort: number, key: string, expected: string, what: string): Promise<true> =>
  waitFor(what, async () => ((await answerTo(grpcPort, key)) === expected ? true : undefined), TAKES_EFFECT_MS, RETRY_MS);

describe('the API keys file', () => {
  let dir: string;
  let keysFile: string;
  let served: Served;
  let first: { key: string; line: string };
  let second: { key: string; line: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-keys-'));
    keysFile = join(dir, 'api-keys');
    first = await newKey('backend');
    second = await newKey('web');
    replaceFile(keysFile, `# made with npx tributary keys --source backend\n${first.line}\n`);
    served = await serve({ TRIBUTARY_DATA_DIR: join(dir, 'data'), TRIBUTARY_API_KEYS_FILE: keysFile });
  });
  afterAll(async () => {
    await stop(served);
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds digests only, and serve and send take keys from files, never from a command line', async () => {
    expect(readFileSync(keysFile, 'utf8')).not.toContain(first.key);
    expect(first.line).toMatch(/^sha256:[0-9a-f]{64}=backend$/);
    const keyFile = join(dir, 'backend.key');
    writeFileSync(keyFile, `${first.key}\n`, { mode: 0o600 });
    const sent = startCli(['send', '--key-file', keyFile, '--address', `127.0.0.1:${served.grpcPort}`, ...validFiles()], {});
    expect(readFileSync(`/proc/${sent.child.pid}/cmdline`, 'utf8')).toContain('send');
    expect(processesWith(first.key)).toEqual([]);
    expect(await sent.exited).toBe(0);
    expect(sent.output()).toContain('9 records: 9 accepted, 0 duplicate, 0 rejected');
  });

  it('takes a new key, and refuses a removed one, within 5 s and without a restart', async () => {
    expect(await answerTo(served.grpcPort, first.key)).toBe('OK');
    replaceFile(keysFile, `${first.line}\n${second.line}\n`);
    await waitForAnswer(served.grpcPort, second.key, 'OK', 'the new key to work');
    replaceFile(keysFile, `${second.line}\n`);
    await waitForAnswer(served.grpcPort, first.key, 'UNAUTHENTICATED', 'the removed key to be refused');
    expect(await answerTo(served.grpcPort, second.key)).toBe('OK');
  });

  it('refuses a bad change as a whole, naming its line, and keeps the last good keys', async () => {
    const third = await newKey('ios');
    replaceFile(keysFile, `${second.line}\n${third.line}\n${third.key}=ios\n`);
    const refusal = (line: string) => line.includes('the changed API keys file is refused') && line.includes('line 3 holds a key itself');
    await waitFor('the bad change to be refused', () => (served.process.output().split('\n').some(refusal) ? true : undefined));
    expect(served.process.output()).not.toContain(third.key);
    expect(await answerTo(served.grpcPort, second.key)).toBe('OK');
    expect(await answerTo(served.grpcPort, third.key)).toBe('UNAUTHENTICATED');
  });

  it('refuses to start with a key given itself, naming its line and how to convert the file, never the key', async () => {
    const plaintext = join(dir, 'plaintext-keys');
    replaceFile(plaintext, `${first.line}\n# written before keys were hashed\n${second.key}=web\n`);
    const refused = startCli(['serve'], { TRIBUTARY_DATA_DIR: join(dir, 'refused'), TRIBUTARY_API_KEYS_FILE: plaintext, TRIBUTARY_GRPC_ADDR: '127.0.0.1:0', TRIBUTARY_HTTP_ADDR: '127.0.0.1:0' });
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toContain(
      `TRIBUTARY_API_KEYS_FILE: line 3 holds a key itself (key=source), and this file keeps only each key's SHA-256: convert the file with \`npx tributary keys --hash < ${plaintext} > ${plaintext}.new\``,
    );
    expect(refused.output()).not.toContain(second.key);
  });
});

describe('dev mode', () => {
  let root: string;
  let dataDir: string;
  let served: Served;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'tributary-private-'));
    dataDir = join(root, 'data');
    // A data folder as an older version left it: open to group and others.
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'left-by-an-older-version'), '');
    chmodSync(join(dataDir, 'left-by-an-older-version'), 0o644);
    served = await serve({ TRIBUTARY_DATA_DIR: dataDir });
  });
  afterAll(async () => {
    await stop(served);
    rmSync(root, { recursive: true, force: true });
  });

  it('prints the keys, and a send command without one that finds the dev key itself', async () => {
    const { apiKey, adminKey } = JSON.parse(readFileSync(join(dataDir, 'dev-keys.json'), 'utf8')) as { apiKey: string; adminKey: string };
    const command = `TRIBUTARY_DATA_DIR=${dataDir} npx tributary send --address 127.0.0.1:${served.grpcPort} test/fixtures/records/valid/*.json`;
    await waitFor('the dev-mode banner', () => (served.process.output().includes(command) ? true : undefined));
    expect(served.process.output()).toContain(`API key (source "dev"): ${apiKey}`);
    expect(served.process.output()).toContain(`admin key:              ${adminKey}`);

    const sent = startCli(['send', '--address', `127.0.0.1:${served.grpcPort}`, ...validFiles()], { TRIBUTARY_DATA_DIR: dataDir });
    expect(readFileSync(`/proc/${sent.child.pid}/cmdline`, 'utf8')).toContain('send');
    expect([...processesWith(apiKey), ...processesWith(adminKey)]).toEqual([]);
    expect(await sent.exited).toBe(0);
    expect(sent.output()).toContain('9 records: 9 accepted, 0 duplicate, 0 rejected');
  });

  it('keeps the data folder, and everything in it, from group and others', async () => {
    await waitFor('the events to be stored', async () => {
      const counted = startCli(['query', '--json', '--address', `127.0.0.1:${served.httpPort}`, 'SELECT count() AS n FROM tributary.events_final'], { TRIBUTARY_DATA_DIR: dataDir });
      await counted.exited;
      return counted.output().includes('{"n":6}') ? true : undefined;
    });
    const entries: { path: string; mode: number; file: boolean }[] = [];
    const walk = (path: string): void => {
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) return;
      entries.push({ path: relative(dataDir, path), mode: stat.mode & 0o777, file: stat.isFile() });
      if (stat.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    };
    walk(dataDir);
    expect(entries.filter((entry) => (entry.mode & 0o077) !== 0)).toEqual([]);
    const files = entries.filter((entry) => entry.file).map((entry) => entry.path);
    expect(files).toEqual(expect.arrayContaining(['dev-keys.json', 'left-by-an-older-version', 'serve.pid', 'nats-server.conf']));
    expect(files.some((path) => path.startsWith('clickhouse/'))).toBe(true);
    expect(files.some((path) => path.startsWith('nats/'))).toBe(true);
    expect(served.process.output()).toContain('the data folder was open to other users');
  });
});
