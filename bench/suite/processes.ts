/**
 * The benchmark's processes: the built `tributary` roles run as long-lived
 * children, and the one-shot children (load generator, raw baselines) that
 * print one JSON line of figures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { onCpus } from './cpu-pinning';

const DIST = join(__dirname, '..', '..');

/** A long-lived child and what it printed. */
export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Starts `tributary <role>` from the build with `env` over the current environment. */
export function startRole(role: 'gateway' | 'sink', env: NodeJS.ProcessEnv): Service {
  const child = spawn(process.execPath, [join(DIST, 'src', 'cli', 'main.js'), role], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name: role,
    child,
    pid: child.pid ?? 0,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs the child script `name` (bench/suite/<name>.js) with `plan`, on `cpus` when given; resolves with the JSON it printed. `started` gets its pid. */
export function runChild<T>(name: string, plan: object, started?: (pid: number) => void, cpus?: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const [command, args] = onCpus(cpus, process.execPath, [join(__dirname, `${name}.js`), JSON.stringify(plan)]);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    if (child.pid !== undefined) started?.(child.pid);
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout) as T) : reject(new Error(`${name} exited with ${code}`))));
  });
}

/**
 * Runs `body` with a list it adds its long-lived services to: when it
 * fails, prints the end of each service's output; whatever happens, stops
 * them (the last started first) and then runs `close`.
 */
export async function withServices<T>(body: (services: Service[]) => Promise<T>, close: () => Promise<void>): Promise<T> {
  const services: Service[] = [];
  try {
    return await body(services);
  } catch (error) {
    for (const service of services) console.error(`--- ${service.name} output (last 3000 characters) ---\n${service.output().slice(-3000)}`);
    throw error;
  } finally {
    for (const service of services.reverse()) await service.stop();
    await close();
  }
}
