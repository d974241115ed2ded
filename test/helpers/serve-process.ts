/**
 * The built `tributary serve` as a child process with keys of its own, on
 * free ports and a temporary data folder, against a test's nats-server (so
 * the test can stop and restart it). Queries go through serve's admin
 * endpoint, as `tributary query` does.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postAdminQuery } from '../../src/http/admin-query-client';
import { freePort } from '../../src/serve/free-port';
import { startCli, type CliProcess } from './cli-process';
import { waitFor } from './wait';

/** Waits until the HTTP endpoint on `httpPort` answers /readyz with 200. */
export function waitReady(httpPort: number, timeoutMs = 60_000): Promise<true> {
  return waitFor('serve to be ready', async () => ((await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined), timeoutMs);
}

/** A running serve and how to reach it. */
export class ServeProcess {
  readonly apiKey = `test-api-key-${randomBytes(8).toString('hex')}`;
  readonly adminKey = `test-admin-key-${randomBytes(8).toString('hex')}`;
  private process: CliProcess | undefined;

  private constructor(
    readonly dataDir: string,
    readonly grpcPort: number,
    readonly httpPort: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Starts serve against `natsUrl`, with `env` added (such as TRIBUTARY_CORS_ORIGINS). */
  static async start(natsUrl: string, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
    const id = randomBytes(4).toString('hex');
    const served = new ServeProcess(mkdtempSync(join(tmpdir(), 'tributary-serve-')), await freePort(), await freePort(), {
      NATS_URL: natsUrl,
      TRIBUTARY_STREAM: `S_${id}`,
      TRIBUTARY_SUBJECT_PREFIX: `s${id}`,
      TRIBUTARY_LOG_LEVEL: 'warn',
      ...env,
    });
    served.process = startCli(['serve'], {
      ...served.env,
      TRIBUTARY_DATA_DIR: served.dataDir,
      TRIBUTARY_GRPC_ADDR: `127.0.0.1:${served.grpcPort}`,
      TRIBUTARY_HTTP_ADDR: `127.0.0.1:${served.httpPort}`,
      TRIBUTARY_API_KEYS: `${served.apiKey}=sdk_test`,
      TRIBUTARY_ADMIN_KEY: served.adminKey,
    });
    await Promise.race([waitReady(served.httpPort), served.process.exited.then((code) => Promise.reject(new Error(`serve exited (${code}): ${served.output()}`)))]);
    return served;
  }

  /** The HTTP endpoint's base URL (gRPC-Web, /metrics, /admin/query). */
  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /** Everything serve printed. */
  output(): string {
    return this.process?.output() ?? '';
  }

  /** Runs one SELECT through the admin endpoint and returns its rows. */
  query<T>(sql: string): Promise<T[]> {
    return postAdminQuery<T>(`127.0.0.1:${this.httpPort}`, this.adminKey, sql);
  }

  /** Stops serve (SIGTERM, expecting a clean exit) and removes its data folder. */
  async stop(): Promise<void> {
    if (this.process !== undefined) {
      this.process.child.kill('SIGTERM');
      const code = await this.process.exited;
      if (code !== 0) throw new Error(`serve exited with ${code}: ${this.output()}`);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
