/**
 * A real `nats-server -js` for a test: started on a free port with a
 * temporary store, stopped and removed afterwards. It can be stopped and
 * started again on the same store, killed (SIGKILL), or frozen (SIGSTOP) to
 * hold back PubAcks. {@link NatsCluster} runs three of them as one cluster.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNatsServer, NATS_SERVER_INSTALL_HINT, NatsServerProcess } from '../../src/serve/nats-server-process';
import { freePort } from './free-port';

function natsServerBinary(): string {
  const binary = findNatsServer();
  if (binary === undefined) throw new Error(`nats-server is not installed; ${NATS_SERVER_INSTALL_HINT}`);
  return binary;
}

const newStore = () => mkdtempSync(join(tmpdir(), 'tributary-nats-'));

/** A nats-server child process with JetStream on a temporary store. */
export class NatsServer extends NatsServerProcess {
  /** Starts a server on `port` (by default one it picks itself) with a new temporary store. */
  static async start(port = 0): Promise<NatsServer> {
    const server = new NatsServer(port, newStore(), natsServerBinary());
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

  /** Kills the server (SIGKILL), as a crash would, and waits until it is gone; its store stays for {@link resume}. */
  kill(): Promise<void> {
    return this.pause('SIGKILL');
  }

  /** Stops the server and removes its store. */
  async stop(): Promise<void> {
    await this.pause();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

/** Three nats-servers with routes to each other on loopback: one JetStream cluster, each node with its own store. */
export class NatsCluster {
  private constructor(readonly nodes: readonly NatsServer[]) {}

  /** Starts the three nodes (a fresh cluster: its meta leader is elected after they are up). */
  static async start(): Promise<NatsCluster> {
    const name = `c${Math.random().toString(16).slice(2, 8)}`;
    const clientPorts = [await freePort(), await freePort(), await freePort()];
    const routePorts = [await freePort(), await freePort(), await freePort()];
    const routes = routePorts.map((port) => `nats://127.0.0.1:${port}`).join(',');
    const nodes = clientPorts.map(
      (port, i) =>
        new NatsServer(port, newStore(), natsServerBinary(), 20_000, ['--name', `${name}-n${i + 1}`, '--cluster_name', name, '--cluster', `nats://127.0.0.1:${routePorts[i]}`, '--routes', routes]),
    );
    await Promise.all(nodes.map((node) => node.resume()));
    return new NatsCluster(nodes);
  }

  /** The client URLs of every node, as NATS_URL takes them. */
  get urls(): string {
    return this.nodes.map((node) => node.url).join(',');
  }

  /** The node whose server name is `name`. */
  node(name: string): NatsServer {
    const index = Number(name.slice(name.lastIndexOf('-n') + 2)) - 1;
    const node = this.nodes[index];
    if (node === undefined) throw new Error(`no node is named ${name}`);
    return node;
  }

  /** Stops every node and removes the stores. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }
}
