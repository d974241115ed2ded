/**
 * A `nats-server -js` child process on a port and store folder of our choice:
 * started, waited for until it says it is ready, stopped, and started again on
 * the same port and store. Used wherever Tributary runs its own NATS. Port 0
 * lets the server bind a free port itself (no window for another process to
 * take it between a probe and the bind); the port it took is read from its
 * log, and kept for later starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const READY = 'Server is ready';
/** The log line that names the client port the server listens on. */
const LISTENING = /Listening for client connections on [^\s]*:(\d+)/;

/** How to install nats-server when it is missing. */
export const NATS_SERVER_INSTALL_HINT = 'install it with: apt-get install nats-server (or `make system-deps`)';

/** The nats-server binary: NATS_SERVER_BIN, or the first on PATH (Debian puts it in /usr/sbin). */
export function findNatsServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.NATS_SERVER_BIN) return env.NATS_SERVER_BIN;
  return (env.PATH ?? '')
    .split(':')
    .concat('/usr/sbin', '/usr/bin')
    .map((dir) => join(dir, 'nats-server'))
    .find(existsSync);
}

/** A nats-server with JetStream, listening on `host`:`port` (0: one it picks) with its store in `storeDir`; `extraArgs` add to its command line (a cluster's routes). */
export class NatsServerProcess {
  protected child: ChildProcess | undefined;

  constructor(
    private chosenPort: number,
    readonly storeDir: string,
    private readonly binary: string,
    private readonly readyTimeoutMs = 20_000,
    private readonly extraArgs: readonly string[] = [],
    private readonly host = '127.0.0.1',
  ) {}

  /** The process id of the running server, if it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The client port: the one given, or once started, the one the server picked. */
  get port(): number {
    return this.chosenPort;
  }

  /** The client URL of the server. */
  get url(): string {
    return `nats://${this.host}:${this.port}`;
  }

  /** Starts the server and waits until it is ready; rejects with its log when it exits or takes too long. */
  async resume(): Promise<void> {
    // -1 is nats-server's "any free port".
    const child = spawn(this.binary, ['-js', '-a', this.host, '-p', this.port === 0 ? '-1' : String(this.port), '-sd', this.storeDir, ...this.extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let log = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`nats-server was not ready within ${this.readyTimeoutMs}ms:\n${log}`)), this.readyTimeoutMs);
        child.stderr?.on('data', (chunk: Buffer) => {
          log += chunk.toString();
          if (log.includes(READY)) {
            clearTimeout(timer);
            const listening = LISTENING.exec(log);
            if (listening === null) return reject(new Error(`nats-server did not say which port it listens on:\n${log}`));
            this.chosenPort = Number(listening[1]);
            resolve();
          }
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`nats-server exited with ${code}:\n${log}`));
        });
      });
    } finally {
      child.stderr?.removeAllListeners('data');
      child.stderr?.resume();
      child.removeAllListeners('exit');
    }
  }

  /** Stops the server with `signal` (SIGTERM by default, then SIGKILL after 10s) and waits for it to exit; the store stays. */
  async pause(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
