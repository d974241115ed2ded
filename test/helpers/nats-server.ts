/**
 * A real `nats-server -js` for a test: started on a free port with a
 * temporary store, stopped and removed afterwards. It can be stopped and
 * started again on the same store, or frozen (SIGSTOP) to hold back PubAcks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNatsServer, NATS_SERVER_INSTALL_HINT, NatsServerProcess } from '../../src/stream/nats-server-process';
import { freePort } from '../../src/stream/free-port';

/** A nats-server child process with JetStream on a temporary store. */
export class NatsServer extends NatsServerProcess {
  /** Starts a server on `port` (a free one by default) with a new temporary store. */
  static async start(port?: number): Promise<NatsServer> {
    const binary = findNatsServer();
    if (binary === undefined) throw new Error(`nats-server is not installed; ${NATS_SERVER_INSTALL_HINT}`);
    const server = new NatsServer(port ?? (await freePort()), mkdtempSync(join(tmpdir(), 'tributary-nats-')), binary);
    await server.resume();
    return server;
  }

  /** Suspends the server process (SIGSTOP): connections stay open but nothing is answered. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  /** Resumes a frozen server (SIGCONT). */
  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  /** Stops the server and removes its store. */
  async stop(): Promise<void> {
    await this.pause();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
