/**
 * What every whole-service benchmark starts from: its own nats-server on a
 * free port in a temporary folder, a connection to read its streams, keys and free ports for a gateway and a
 * sink, and the time stamp its results are named by.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort } from '../../test/helpers/free-port';
import { findNatsServer, NatsServerProcess } from '../../src/serve/nats-server-process';

/** A benchmark's nats-server, folder, keys and ports. */
export interface BenchStack {
  /** yyyy-mm-dd-hh-mm of the start (UTC), for the results' file names. */
  readonly stamp: string;
  /** The temporary folder: nats-server's store, the sink's data. */
  readonly dir: string;
  readonly nats: NatsServerProcess;
  /** The nats-server binary, for its version. */
  readonly natsBinary: string;
  readonly apiKey: string;
  readonly adminKey: string;
  readonly grpcPort: number;
  readonly gatewayHttp: number;
  readonly sinkHttp: number;
  /** A JetStream manager on a connection of the benchmark's own, to read streams and consumers. */
  readonly jsm: JetStreamManager;
  /** Closes that connection, stops nats-server and removes the folder. */
  close(): Promise<void>;
}

/** Starts nats-server in a new temporary folder named after `name`, and picks keys and ports. */
export async function benchStack(name: string): Promise<BenchStack> {
  const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-');
  const binary = findNatsServer();
  if (binary === undefined) throw new Error('nats-server is not installed (make system-deps)');
  const dir = mkdtempSync(join(tmpdir(), `tributary-${name}-`));
  const nats = new NatsServerProcess(0, join(dir, 'nats'), binary);
  await nats.resume();
  const inspector = await connect({ servers: nats.url });
  return {
    stamp,
    dir,
    nats,
    natsBinary: binary,
    apiKey: `${name}-${randomBytes(12).toString('hex')}`,
    adminKey: `admin-${randomBytes(12).toString('hex')}`,
    grpcPort: await freePort(),
    gatewayHttp: await freePort(),
    sinkHttp: await freePort(),
    jsm: await jetstreamManager(inspector),
    async close() {
      await inspector.close();
      await nats.pause();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
