/**
 * The built `tributary` command as a child process (what operators run), and
 * queries against an embedded ClickHouse folder from a separate process
 * (chDB allows one folder per process, and the test's own may be taken).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './wait';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

function built(path: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`make build\` (make test does)`);
  return path;
}

/** A running `tributary` child and everything it wrote. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code (or signal) once the child has ended. */
  readonly exited: Promise<number | string>;
}

/**
 * Starts `tributary <args>` with `env` added to a clean environment; with
 * `ownGroup`, in a process group of its own, as a terminal runs a command (so
 * that the group can be signalled, as Ctrl-C does).
 */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv, ownGroup = false): CliProcess {
  const child = spawn(process.execPath, [built(CLI), ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: ownGroup });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, output: () => output, exited };
}

/** Runs SQL against the embedded ClickHouse under `dataDir` in a child process: a query (`kind` query), whose rows it returns, or a statement (`command`), for none. */
async function embedded<T>(dataDir: string, sql: string, kind: 'query' | 'command'): Promise<T[]> {
  const script = `
    const { loadConfig } = require(${JSON.stringify(built(join(ROOT, 'dist', 'src', 'config', 'load.js')))});
    const { createClickHouse, SETTINGS } = require(${JSON.stringify(join(ROOT, 'dist', 'src', 'storage', 'clickhouse-client.js'))});
    (async () => {
      const client = createClickHouse(loadConfig({}, { dataDir: process.argv[1] }));
      const rows = process.argv[3] === 'command'
        ? (await client.command({ query: process.argv[2], clickhouse_settings: { ...SETTINGS, mutations_sync: '2' } }), [])
        : await (await client.query({ query: process.argv[2], format: 'JSONEachRow', clickhouse_settings: SETTINGS })).json();
      process.stdout.write(JSON.stringify(rows));
      await client.close();
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, dataDir, sql, kind], { cwd: ROOT, timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(stdout) as T[];
}

/** Runs a query against the embedded ClickHouse under `dataDir` (no process may hold it) in a child process, and returns the rows. */
export const queryEmbedded = <T>(dataDir: string, query: string): Promise<T[]> => embedded<T>(dataDir, query, 'query');

/** Runs a statement (a DELETE, a TRUNCATE) against the embedded ClickHouse under `dataDir` (no process may hold it) in a child process. */
export const commandEmbedded = async (dataDir: string, statement: string): Promise<void> => void (await embedded(dataDir, statement, 'command'));

/** Settings that make a `tributary` process bind ports of its own choosing and log them (level info), for {@link listeningPorts}. */
export const ANY_PORTS = { TRIBUTARY_GRPC_ADDR: '127.0.0.1:0', TRIBUTARY_HTTP_ADDR: '127.0.0.1:0', TRIBUTARY_LOG_LEVEL: 'info' } as const;

/**
 * The ports a `tributary` process started with {@link ANY_PORTS} says it took: its HTTP endpoint's, and with
 * `grpc`, its gateway's. Rejects with its output if it exits first.
 */
export function listeningPorts(cli: CliProcess, grpc: boolean, timeoutMs = 60_000): Promise<{ http: number; grpc: number }> {
  const portOf = (message: string): number | undefined => {
    const line = new RegExp(`"port":(\\d+)[^\\n]*"msg":"${message}"`).exec(cli.output());
    return line === null ? undefined : Number(line[1]);
  };
  const said = waitFor(
    'the process to say which ports it took',
    () => {
      const http = portOf('HTTP endpoint listening');
      const gateway = grpc ? portOf('gateway listening') : 0;
      return http !== undefined && gateway !== undefined ? { http, grpc: gateway } : undefined;
    },
    timeoutMs,
    50,
  );
  return Promise.race([said, cli.exited.then((code) => Promise.reject(new Error(`tributary exited (${code}) before it listened: ${cli.output()}`)))]);
}
