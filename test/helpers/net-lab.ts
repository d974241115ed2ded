/**
 * A small network for partition tests, made of Linux network namespaces
 * (Debian's iproute2): a switch namespace holding a bridge, one namespace per
 * host, each joined to the bridge by a veth pair, and the root namespace (the
 * test, the gateway, the sink) joined by one more. Setting a host's switch
 * port down cuts it silently: its sockets stay open and its packets vanish,
 * as on a real partition, with no reset for either side. A host's link can
 * instead be slow and lossy for the whole run. Every name carries
 * a random tag, and {@link NetLab.destroy} removes the namespaces (and with
 * them every veth) whatever the test did.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs `ip` with `args`; throws with its stderr. */
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Why this machine cannot make namespaces (not root, no iproute2, refused by the kernel), or undefined when it can. */
export function namespacesRefused(): string | undefined {
  const probe = `trbprobe${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'delete', probe);
    return undefined;
  } catch (error) {
    return `network namespaces are refused here (${(error as Error).message.split('\n')[0]})`;
  }
}

/** A host of the lab: its namespace and address. */
export interface LabHost {
  readonly name: string;
  readonly netns: string;
  readonly address: string;
  /** Its port on the switch, which {@link NetLab.cut} sets down. */
  readonly port: string;
}

/** A switch, its hosts, and the root namespace's link to it. */
export class NetLab {
  private readonly hosts = new Map<string, LabHost>();
  private readonly forwarders: ChildProcess[] = [];
  private readonly folder = mkdtempSync(join(tmpdir(), 'tributary-netlab-'));
  /** The root namespace's address on the lab's network. */
  readonly rootAddress: string;

  private constructor(
    private readonly tag: string,
    private readonly subnet: string,
  ) {
    this.rootAddress = `${subnet}.254`;
  }

  /** Makes the switch and joins the root namespace to it. */
  static create(): NetLab {
    const tag = Math.random().toString(16).slice(2, 7);
    const lab = new NetLab(tag, `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}`);
    try {
      ip('netns', 'add', lab.switchNs);
      ip('-n', lab.switchNs, 'link', 'add', 'br0', 'type', 'bridge');
      ip('-n', lab.switchNs, 'link', 'set', 'br0', 'up');
      // The root's end stays in the root namespace; its peer is the root's port on the switch.
      ip('link', 'add', lab.rootPort, 'type', 'veth', 'peer', 'name', 'p', 'netns', lab.switchNs);
      ip('-n', lab.switchNs, 'link', 'set', 'p', 'name', lab.rootPort, 'master', 'br0', 'up');
      ip('addr', 'add', `${lab.rootAddress}/24`, 'dev', lab.rootPort);
      ip('link', 'set', lab.rootPort, 'up');
    } catch (error) {
      lab.destroy();
      throw error;
    }
    return lab;
  }

  private get switchNs(): string {
    return `trb${this.tag}sw`;
  }

  /** The root namespace's port, named the same on both sides of its veth. */
  get rootPort(): string {
    return `trb${this.tag}r`;
  }

  /**
   * Adds host `name` (a letter or two) with its own namespace and the next
   * address, joined to the switch by a veth pair; or, given `slow`, by a
   * wire that delays every frame by `delayMs` each way and drops a share
   * `loss` of them (tap-forwarder.py: this kernel has no netem).
   */
  async addHost(name: string, slow?: { readonly delayMs: number; readonly loss: number; readonly seed: number }): Promise<LabHost> {
    const netns = `trb${this.tag}${name}`;
    const port = `trb${this.tag}${name}p`;
    const address = `${this.subnet}.${this.hosts.size + 1}`;
    ip('netns', 'add', netns);
    const host = { name, netns, address, port };
    this.hosts.set(name, host);
    ip('-n', netns, 'link', 'set', 'lo', 'up');
    if (slow === undefined) ip('-n', netns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port, 'netns', this.switchNs);
    else {
      // The forwarder makes both TAP devices here in the root namespace; each keeps its open file once moved into its own.
      const inner = `trb${this.tag}${name}h`;
      await this.startForwarder(inner, port, slow);
      ip('link', 'set', inner, 'netns', netns);
      ip('-n', netns, 'link', 'set', inner, 'name', 'eth0');
      ip('link', 'set', port, 'netns', this.switchNs);
    }
    ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    ip('-n', netns, 'link', 'set', 'eth0', 'up');
    ip('-n', this.switchNs, 'link', 'set', port, 'master', 'br0', 'up');
    return host;
  }

  private async startForwarder(a: string, b: string, slow: { readonly delayMs: number; readonly loss: number; readonly seed: number }): Promise<void> {
    const child = spawn('python3', [join(__dirname, 'tap-forwarder.py'), a, b, String(slow.delayMs), String(slow.loss), String(slow.seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.forwarders.push(child);
    let [stdout, stderr] = ['', ''];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tap-forwarder.py was not ready within 10 s: ${stderr}`)), 10_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.split('\n').includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`tap-forwarder.py exited (${code}): ${stderr}`));
      });
    });
  }

  /**
   * A script that runs `binary` with its arguments inside `host`'s namespace,
   * as the same process (exec), so that signals reach the program itself.
   */
  launcher(host: LabHost, binary: string): string {
    const path = join(this.folder, `${host.name}-${binary.split('/').pop() ?? 'run'}`);
    writeFileSync(path, `#!/bin/sh\nexec ip netns exec '${host.netns}' '${binary}' "$@"\n`);
    chmodSync(path, 0o755);
    return path;
  }

  /** Cuts each of `ports` (hosts' ports, or {@link rootPort}) off the switch, silently. */
  cut(...ports: string[]): void {
    for (const port of ports) ip('-n', this.switchNs, 'link', 'set', port, 'down');
  }

  /** Joins `ports` to the switch again. */
  heal(...ports: string[]): void {
    for (const port of ports) ip('-n', this.switchNs, 'link', 'set', port, 'up');
  }

  /** Stops the forwarders and removes every namespace (and so every veth and TAP device) and the launchers; never throws. */
  destroy(): void {
    for (const forwarder of this.forwarders) forwarder.kill('SIGKILL');
    for (const host of this.hosts.values()) this.quietly('netns', 'delete', host.netns);
    this.quietly('link', 'delete', this.rootPort);
    this.quietly('netns', 'delete', this.switchNs);
    rmSync(this.folder, { recursive: true, force: true });
  }

  private quietly(...args: string[]): void {
    try {
      ip(...args);
    } catch {
      // Already gone.
    }
  }
}
