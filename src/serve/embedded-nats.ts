/**
 * The nats-server that `tributary serve` runs when NATS_URL is unset: a
 * supervised child on a free port, its store under TRIBUTARY_DATA_DIR/nats,
 * started again if it dies, stopped when serve stops. Once shutdown has
 * begun it is never started again: a terminal's Ctrl-C signals the whole
 * process group, so the child may exit before serve has stopped its parts.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/settings';
import { freePort } from '../stream/free-port';
import { findNatsServer, NATS_SERVER_INSTALL_HINT, NatsServerProcess } from '../stream/nats-server-process';

/** How long to wait before starting a nats-server that died. */
const RESTART_DELAY_MS = 1000;

/** A supervised nats-server child. */
export class EmbeddedNats extends NatsServerProcess {
  private stopping = false;
  private restart: NodeJS.Timeout | undefined;

  /** Starts nats-server for `config`; fails with how to install it when it is missing. */
  static async start(config: Config, logger: Logger): Promise<EmbeddedNats> {
    const binary = findNatsServer();
    if (binary === undefined) throw new Error(`nats-server is not installed; ${NATS_SERVER_INSTALL_HINT}`);
    const store = resolve(join(config.dataDir, 'nats'));
    mkdirSync(store, { recursive: true });
    const nats = new EmbeddedNats(await freePort(), store, binary);
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

  /** Stops the child for good. */
  async stop(): Promise<void> {
    this.beginShutdown();
    await this.pause();
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
