/**
 * The nats-server that `tributary serve` runs when NATS_URL is unset: a
 * supervised child on a free port, its store under TRIBUTARY_DATA_DIR/nats,
 * started again if it dies, stopped when serve stops. Once shutdown has
 * begun it is never started again: a terminal's Ctrl-C signals the whole
 * process group, so the child may exit before serve has stopped its parts.
 * Its pid is kept in `<TRIBUTARY_DATA_DIR>/nats-server.pid`: a child that
 * outlived a serve killed with SIGKILL is found there and stopped at the next
 * start (which holds the data folder's lock, so no live serve owns it).
 * It takes no anonymous clients: each start writes a new password into
 * `<TRIBUTARY_DATA_DIR>/nats-server.conf` (mode 600, never on a command
 * line), and only serve's own parts connect with it. The same file sets how
 * often JetStream syncs to disk (TRIBUTARY_NATS_SYNC, nats-server 2.10+).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/settings';
import { commandLine, readPid } from './data-dir-lock';
import { findNatsServer, NATS_SERVER_INSTALL_HINT, NatsServerProcess } from './nats-server-process';

/** How long to wait before starting a nats-server that died. */
const RESTART_DELAY_MS = 1000;
/** How long an orphan gets to stop on SIGTERM before SIGKILL. */
const ORPHAN_STOP_MS = 10_000;

const alive = (pid: number): boolean => commandLine(pid) !== undefined;

/** Stops the nats-server in `pidFile` if it still runs on `store`: an orphan of a serve that was killed. */
async function stopOrphan(pidFile: string, store: string, logger: Logger): Promise<void> {
  const pid = readPid(pidFile);
  if (pid === undefined || !(commandLine(pid) ?? '').includes(store)) return;
  logger.warn({ pid, store }, 'a nats-server left by an earlier serve still runs on the store; stopping it');
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + ORPHAN_STOP_MS;
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  while (alive(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** The user serve's parts connect to the embedded nats-server as. */
export const EMBEDDED_NATS_USER = 'tributary';

/**
 * Writes the nats-server configuration that admits only `EMBEDDED_NATS_USER`
 * with `password`, readable by its owner alone, and sets JetStream's
 * `sync_interval` when `sync` names one (TRIBUTARY_NATS_SYNC).
 */
function writeServerConfig(path: string, password: string, sync: string): void {
  writeFileSync(
    path,
    `# Written by tributary serve at each start: only serve's own parts may connect.\nauthorization {\n  user: "${EMBEDDED_NATS_USER}"\n  password: "${password}"\n}\n${syncConfig(sync)}`,
    {
      mode: 0o600,
    },
  );
  chmodSync(path, 0o600);
}

/** The nats-server configuration block that sets JetStream's `sync_interval` to `sync` (as TRIBUTARY_NATS_SYNC parses it), or nothing for the default. */
export const syncConfig = (sync: string): string => (sync === '' ? '' : `jetstream {\n  sync_interval: ${sync === 'always' ? 'always' : `"${sync}"`}\n}\n`);

/** The version of the nats-server `binary`, such as [2, 9, 10], or undefined when it does not say. */
export function natsServerVersion(binary: string): readonly number[] | undefined {
  const said = /v(\d+)\.(\d+)\.(\d+)/.exec(execFileSync(binary, ['--version'], { encoding: 'utf8' }));
  return said === null ? undefined : said.slice(1).map(Number);
}

/** Refuses TRIBUTARY_NATS_SYNC on a nats-server older than 2.10, which has no `sync_interval`. */
function checkSyncSupport(binary: string, sync: string): void {
  if (sync === '') return;
  const [major = 0, minor = 0] = natsServerVersion(binary) ?? [];
  if (major > 2 || (major === 2 && minor >= 10)) return;
  throw new Error(
    `TRIBUTARY_NATS_SYNC needs nats-server 2.10 or later, and ${binary} is ${major}.${minor}: set NATS_SERVER_BIN to a newer one (scripts/fetch-nats-server-2.10.sh fetches Debian trixie's), or leave TRIBUTARY_NATS_SYNC at default`,
  );
}

/** A supervised nats-server child. */
export class EmbeddedNats extends NatsServerProcess {
  private stopping = false;
  private restart: NodeJS.Timeout | undefined;
  private pidFile = '';
  /** The password of this start, for serve's own parts. */
  password = '';

  /** Starts nats-server for `config`; fails with how to install it when it is missing. */
  static async start(config: Config, logger: Logger): Promise<EmbeddedNats> {
    const binary = findNatsServer();
    if (binary === undefined) throw new Error(`nats-server is not installed; ${NATS_SERVER_INSTALL_HINT}`);
    checkSyncSupport(binary, config.natsSync);
    const store = resolve(join(config.dataDir, 'nats'));
    mkdirSync(store, { recursive: true });
    const pidFile = resolve(join(config.dataDir, 'nats-server.pid'));
    await stopOrphan(pidFile, store, logger);
    const password = randomBytes(24).toString('hex');
    const serverConfig = resolve(join(config.dataDir, 'nats-server.conf'));
    writeServerConfig(serverConfig, password, config.natsSync);
    const nats = new EmbeddedNats(0, store, binary, undefined, ['-c', serverConfig]);
    nats.pidFile = pidFile;
    nats.password = password;
    await nats.resume();
    nats.supervise(logger);
    logger.info({ url: nats.url, store }, 'embedded nats-server started');
    return nats;
  }

  /** Stops supervising: from now on a child that exits stays down. Call it first thing when shutdown begins. */
  beginShutdown(): void {
    this.stopping = true;
    clearTimeout(this.restart);
  }

  /** Starts the child and records its pid. */
  override async resume(): Promise<void> {
    await super.resume();
    writeFileSync(this.pidFile, `${this.pid}\n`);
  }

  /** Stops the child for good. */
  async stop(): Promise<void> {
    this.beginShutdown();
    await this.pause();
    rmSync(this.pidFile, { force: true });
  }

  private supervise(logger: Logger): void {
    this.child?.once('exit', (code, signal) => {
      if (this.stopping) return;
      logger.error({ code, signal }, 'embedded nats-server exited; starting it again');
      this.restart = setTimeout(() => {
        if (this.stopping) return;
        this.resume().then(
          () => this.supervise(logger),
          (error: unknown) => logger.fatal({ err: error }, 'embedded nats-server could not be started again'),
        );
      }, RESTART_DELAY_MS);
    });
  }
}
