/**
 * A real `nats-server -js` for a test: started on a free port with a
 * temporary store, stopped and removed afterwards. It can be stopped and
 * started again on the same store, killed (SIGKILL), or frozen (SIGSTOP) to
 * hold back PubAcks. {@link NatsCluster} runs three of them as one cluster.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNatsServer, NATS_SERVER_INSTALL_HINT, NatsServerProcess } from '../../src/serve/nats-server-process';
import { freePort } from './free-port';
import type { LabHost, NetLab } from './net-lab';

function natsServerBinary(): string {
  const binary = findNatsServer();
  if (binary === undefined) throw new Error(`nats-server is not installed; ${NATS_SERVER_INSTALL_HINT}`);
  return binary;
}

/**
 * nats-server 2.10 (Debian trixie's package), fetched once into .tools/ by
 * scripts/fetch-nats-server-2.10.sh: for what Debian bookworm's 2.9.10
 * cannot do. The script is found from here whether this file runs from
 * test/helpers (jest) or dist/test/helpers (the bench).
 */
export function natsServer210(): string {
  const script = [join(__dirname, '..', '..'), join(__dirname, '..', '..', '..')].map((root) => join(root, 'scripts', 'fetch-nats-server-2.10.sh')).find(existsSync);
  if (script === undefined) throw new Error('scripts/fetch-nats-server-2.10.sh is missing');
  return execFileSync(script, { encoding: 'utf8' }).trim();
}

const newStore = () => mkdtempSync(join(tmpdir(), 'tributary-nats-'));

/** A nats-server child process with JetStream on a temporary store. */
export class NatsServer extends NatsServerProcess {
  /** Starts a server on `port` (by default one it picks itself) with a new temporary store, or in `storeDir`, running `binary` (by default Debian's). */
  static async start(port = 0, options: { readonly binary?: string; readonly storeDir?: string } = {}): Promise<NatsServer> {
    const server = new NatsServer(port, options.storeDir ?? newStore(), options.binary ?? natsServerBinary());
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

/** Three nats-servers with routes to each other: one JetStream cluster, each node with its own store; on loopback, or each in a host of a {@link NetLab}. */
export class NatsCluster {
  private constructor(
    readonly nodes: readonly NatsServer[],
    /** The lab host of each node, when the cluster runs in a lab. */
    readonly hosts: readonly LabHost[] = [],
  ) {}

  /**
   * Starts the three nodes (a fresh cluster: its meta leader is elected after
   * they are up), each in a host of `lab` when given, the third joined by
   * a wire as slow and lossy as `slowThird` says.
   */
  static async start(lab?: NetLab, slowThird?: Parameters<NetLab['addHost']>[1]): Promise<NatsCluster> {
    const name = `c${Math.random().toString(16).slice(2, 8)}`;
    const hosts = lab === undefined ? [] : [await lab.addHost('n1'), await lab.addHost('n2'), await lab.addHost('n3', slowThird)];
    // In a lab each node has its own address (and ports); on loopback, free ports.
    const addresses = hosts.length > 0 ? hosts.map((host) => host.address) : ['127.0.0.1', '127.0.0.1', '127.0.0.1'];
    const clientPorts = hosts.length > 0 ? [4222, 4222, 4222] : [await freePort(), await freePort(), await freePort()];
    const routePorts = hosts.length > 0 ? [6222, 6222, 6222] : [await freePort(), await freePort(), await freePort()];
    const routes = routePorts.map((port, i) => `nats://${addresses[i]}:${port}`).join(',');
    const nodes = clientPorts.map(
      (port, i) =>
        new NatsServer(
          port,
          newStore(),
          hosts.length > 0 ? (lab as NetLab).launcher(hosts[i], natsServerBinary()) : natsServerBinary(),
          20_000,
          ['--name', `${name}-n${i + 1}`, '--cluster_name', name, '--cluster', `nats://${addresses[i]}:${routePorts[i]}`, '--routes', routes],
          addresses[i],
        ),
    );
    const started = await Promise.allSettled(nodes.map((node) => node.resume()));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      // Nodes that did start would outlive the test (and keep a lab's namespaces alive).
      await Promise.all(nodes.map((node) => node.stop()));
      throw failed.reason;
    }
    return new NatsCluster(nodes, hosts);
  }

  /** The client URLs of every node, as NATS_URL takes them. */
  get urls(): string {
    return this.nodes.map((node) => node.url).join(',');
  }

  /** The index of the node whose server name is `name`. */
  indexOf(name: string): number {
    const index = Number(name.slice(name.lastIndexOf('-n') + 2)) - 1;
    if (this.nodes[index] === undefined) throw new Error(`no node is named ${name}`);
    return index;
  }

  /** The node whose server name is `name`. */
  node(name: string): NatsServer {
    return this.nodes[this.indexOf(name)];
  }

  /** Stops every node and removes the stores. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }
}
