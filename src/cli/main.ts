#!/usr/bin/env node
/**
 * The `tributary` command line: one sub-command per process role. Settings
 * come from the environment (docs/configuration.md); `--help` on every command.
 */
import { Command } from 'commander';
import type { Logger } from 'pino';
import type { Config } from '../config/settings';
import { loadConfig, ConfigError } from '../config/load';
import { startGateway } from '../gateway/gateway';
import { startSink } from '../sink/sink';
import { createLogger } from '../observability/logger';
import { UnsupportedVersionError } from '../storage/clickhouse-client';

/** Runs a started service until SIGINT or SIGTERM, then stops it gracefully. */
async function runUntilSignal(start: () => Promise<{ stop(): Promise<void> }>): Promise<void> {
  const service = await start();
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      service.stop().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

const program = new Command('tributary').description('Event ingestion: gRPC in, NATS JetStream, ClickHouse out.');

/** Adds a command that reads the configuration and runs a service until SIGINT or SIGTERM. */
function serviceCommand(name: string, description: string, start: (config: Config, logger: Logger) => Promise<{ stop(): Promise<void> }>): void {
  program
    .command(name)
    .description(description)
    .action(async () => {
      const config = loadConfig(process.env);
      const logger = createLogger(config.logLevel);
      await runUntilSignal(() => start(config, logger));
    });
}

serviceCommand('gateway', 'Run the gRPC gateway: authenticate, validate, and publish records to JetStream (TRIBUTARY_GRPC_ADDR, NATS_URL, TRIBUTARY_API_KEYS).', startGateway);
serviceCommand(
  'sink',
  'Run the sink: consume the stream into ClickHouse exactly once (NATS_URL, CLICKHOUSE_URL or the embedded engine under TRIBUTARY_DATA_DIR).',
  (config, logger) => startSink(config, logger),
);

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof UnsupportedVersionError ? error.message : error);
  process.exitCode = 1;
});
