/**
 * The built `tributary serve` as a child process with keys of its own and a
 * temporary data folder, against a test's nats-server (so the test can stop
 * and restart it). It binds port 0 for gRPC and HTTP and the ports it took
 * are read from its "tributary serving" log line, so no other process can
 * take them first. Queries go through serve's admin endpoint, as `tributary
 * query` does.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postAdminQuery } from '../../src/http/admin-query-client';
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

  /** The ports serve took, once it has said so. */
  grpcPort = 0;
  httpPort = 0;

  private constructor(
    readonly dataDir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Starts serve against `natsUrl`, with `env` added (such as TRIBUTARY_CORS_ORIGINS). */
  static async start(natsUrl: string, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
    const id = randomBytes(4).toString('hex');
    const served = new ServeProcess(mkdtempSync(join(tmpdir(), 'tributary-serve-')), {
      NATS_URL: natsUrl,
      TRIBUTARY_STREAM: `S_${id}`,
      TRIBUTARY_SUBJECT_PREFIX: `s${id}`,
      ...env,
    });
    const process = (served.process = startCli(['serve'], {
      ...served.env,
      // Info, for the line that names the ports.
      TRIBUTARY_LOG_LEVEL: 'info',
      TRIBUTARY_DATA_DIR: served.dataDir,
      TRIBUTARY_GRPC_ADDR: '127.0.0.1:0',
      TRIBUTARY_HTTP_ADDR: '127.0.0.1:0',
      TRIBUTARY_API_KEYS: `${served.apiKey}=sdk_test`,
      TRIBUTARY_ADMIN_KEY: served.adminKey,
    }));
    const failed = process.exited.then((code) => Promise.reject(new Error(`serve exited (${code}): ${served.output()}`)));
    const serving = waitFor('serve to say which ports it took', () => /"grpc":(\d+),"http":(\d+)[^\n]*"msg":"tributary serving"/.exec(served.output()) ?? undefined, 60_000, 50);
    const [, grpc, http] = await Promise.race([serving, failed]);
    [served.grpcPort, served.httpPort] = [Number(grpc), Number(http)];
    await Promise.race([waitReady(served.httpPort), failed]);
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
