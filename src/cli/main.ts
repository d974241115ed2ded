#!/usr/bin/env node
/**
 * The `tributary` command line: one sub-command per process role. Settings
 * come from the environment (docs/configuration.md); `--help` on every command.
 */
import { Command } from 'commander';
import { loadConfig, ConfigError } from '../config/load';
import { startGateway } from '../gateway/gateway';
import { createLogger } from '../observability/logger';

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

program
  .command('gateway')
  .description('Run the gRPC gateway: authenticate, validate, and publish records to JetStream (TRIBUTARY_GRPC_ADDR, NATS_URL, TRIBUTARY_API_KEYS).')
  .action(async () => {
    const config = loadConfig(process.env);
    const logger = createLogger(config.logLevel);
    await runUntilSignal(() => startGateway(config, logger));
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exitCode = 1;
});
