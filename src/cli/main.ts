#!/usr/bin/env node
/**
 * The `tributary` command line: one sub-command per process role. Settings
 * come from the environment (docs/configuration.md); `--help` on every command.
 * No command takes a secret as a flag, where `ps` would show it: keys come
 * from the environment, a file, or serve's dev keys (src/cli/client-keys.ts).
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { Logger } from 'pino';
import { SETTINGS, type Config } from '../config/settings';
import { loadConfig, ConfigError } from '../config/load';
import { startParts } from '../serve/parts';
import { startServe } from '../serve/serve';
import { createPrivately, makeDataDirPrivate } from '../serve/private-data-dir';
import type { ChannelOptions } from './channel';
import { ADMIN_KEY, API_KEY, clientKey, KeyNotFound, withKeyFile } from './client-keys';
import { hashKeysFile, newKeyText } from './keys';
import { explainIdentity } from './identities';
import { createRegulation, REGULATION_COMMANDS, showRegulations, type RegulationFlags } from './privacy';
import { cancelTask, showTasks, startReplay, type ReplayFlags } from './replay';
import { listDeadLetters, showDeadLetter, startRedrive, type RedriveFlags } from './deadletters';
import type { AdminConnection } from './admin-channel';
import { checkPlanFiles, inferSourcePlan } from './plan';
import { query } from './query';
import { reconcileSource } from './reconcile';
import { tail } from './tail';
import { TAIL_DEFAULT_RATE } from '../http/admin-routes';
import { send } from './send';
import { addSettingFlags, settingOverrides } from './setting-flags';
import { createLogger } from '../observability/logger';
import { UnsupportedVersionError } from '../storage/clickhouse-client';
import { AdminQueryFailed } from '../http/admin-query-client';
import { DataDirInUseError } from '../serve/data-dir-lock';
import { DataDirNotOwnedError } from '../serve/private-data-dir';
import { StartFailed } from '../lifecycle/start-waits';
import { version } from '../../package.json';

/**
 * Starts a service and runs it until SIGINT or SIGTERM, then stops it
 * gracefully. A signal while it is still starting (waiting for NATS or
 * ClickHouse) cancels the start, which stops what had started.
 */
async function runUntilSignal(logger: Logger, start: (signal: AbortSignal) => Promise<{ stop(): Promise<void> }>): Promise<void> {
  const cancel = new AbortController();
  const signalled = new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      cancel.abort();
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  let service: { stop(): Promise<void> };
  try {
    service = await start(cancel.signal);
  } catch (error) {
    // Told to stop while starting: whatever the start was doing when cut short, this is a clean end.
    if (cancel.signal.aborted) return;
    throw error;
  }
  await signalled;
  await service.stop().then(
    () => logger.info('stopped; exiting'),
    (error: unknown) => logger.error({ err: error }, 'stopping failed; exiting'),
  );
}

const program = new Command('tributary').description('Event ingestion: gRPC in, NATS JetStream, ClickHouse out.').version(version, '-V, --version', 'print the version');

/**
 * Adds a command that reads the configuration and runs a service until
 * SIGINT or SIGTERM; whatever it creates is private to its user.
 */
function serviceCommand(name: string, description: string, start: (config: Config, logger: Logger, signal: AbortSignal) => Promise<{ stop(): Promise<void> }>): void {
  addSettingFlags(program.command(name).description(description)).action(async (options: { [key: string]: unknown }) => {
    createPrivately();
    const config = loadConfig(process.env, settingOverrides(options));
    const logger = createLogger(config.logLevel);
    await runUntilSignal(logger, (signal) => start(config, logger, signal));
  });
}

serviceCommand(
  'gateway',
  'Run the gRPC gateway: authenticate, validate, and publish records to JetStream (TRIBUTARY_GRPC_ADDR, NATS_URL, TRIBUTARY_API_KEYS); /healthz, /readyz and /metrics on TRIBUTARY_HTTP_ADDR.',
  (config, logger, signal) => startParts(config, logger, { gateway: true, sink: false }, signal),
);
serviceCommand(
  'sink',
  'Run the sink: consume the stream into ClickHouse exactly once (NATS_URL, CLICKHOUSE_URL or the embedded engine under TRIBUTARY_DATA_DIR); /healthz, /readyz, /metrics and /admin/query on TRIBUTARY_HTTP_ADDR.',
  (config, logger, signal) => {
    if (config.clickhouseUrl === '') makeDataDirPrivate(config.dataDir, logger);
    return startParts(config, logger, { gateway: false, sink: true }, signal);
  },
);

addSettingFlags(
  program
    .command('serve')
    .description('Run everything in one process: gateway, sink and HTTP endpoint, with its own nats-server unless NATS_URL is set and the embedded ClickHouse unless CLICKHOUSE_URL is set.'),
).action(async (options: { [key: string]: unknown }) => {
  createPrivately();
  const flags = settingOverrides(options);
  const logger = createLogger(loadConfig(process.env, flags).logLevel);
  await runUntilSignal(logger, async (signal) => {
    const served = await startServe(process.env, logger, flags, signal);
    if (served.devKeys !== undefined) {
      const { dataDir } = served.config;
      // send finds the dev key in the data folder: no key on its command line.
      const dataDirVariable = dataDir === SETTINGS.dataDir.fallback ? '' : `${SETTINGS.dataDir.env}=${dataDir} `;
      console.log(`\nDev mode (no TRIBUTARY_API_KEYS or TRIBUTARY_API_KEYS_FILE): keys are kept in ${dataDir}/dev-keys.json`);
      console.log(`  API key (source "dev"): ${served.devKeys.apiKey}`);
      console.log(`  admin key:              ${served.devKeys.adminKey}`);
      console.log(`Send the fixtures (send and query find the keys there):\n  ${dataDirVariable}npx tributary send --address 127.0.0.1:${served.grpcPort} test/fixtures/records/valid/*.json\n`);
    }
    return served;
  });
});

withKeyFile(
  program
    .command('send')
    .description('Send records (proto3 JSON: one record, an array, {"records": [...]}, or NDJSON) from files or stdin; prints one result per record.')
    .argument('[files...]', 'files to send; stdin when none')
    .option('--address <host:port>', 'the gateway', process.env.TRIBUTARY_GRPC_ADDR ?? '127.0.0.1:50051'),
  API_KEY,
)
  .option('--batch-size <n>', 'records per request', '500')
  .option('--json', 'print one JSON result per line', false)
  .option('--tls', "connect over TLS, trusting the system's CAs")
  .option('--ca-file <path>', 'connect over TLS, trusting this CA (PEM)')
  .option('--client-cert-file <path>', 'a client certificate (PEM) for gateways that require one (mutual TLS), with --client-key-file')
  .option('--client-key-file <path>', 'the private key of --client-cert-file')
  .option('--insecure', 'send in plaintext to an address that is not this machine')
  .action(async (files: string[], options: { address: string; keyFile?: string; batchSize: string; json: boolean } & ChannelOptions) => {
    const { tls, caFile, clientCertFile, clientKeyFile, insecure } = options;
    const channel = { tls, caFile, clientCertFile, clientKeyFile, insecure };
    process.exitCode = await send(files, { address: options.address, apiKey: clientKey(API_KEY, options.keyFile), batchSize: Number(options.batchSize), json: options.json, channel });
  });

/** Options of a command that reads through a running process's admin endpoint. */
interface AdminOptions {
  address: string;
  adminKeyFile?: string;
  json: boolean;
}

/** Adds the admin endpoint's options to a command. */
const withAdminOptions = (command: Command, json: string): Command =>
  withKeyFile(command.option('--address <host:port>', 'the HTTP endpoint', process.env.TRIBUTARY_HTTP_ADDR ?? '127.0.0.1:8080'), ADMIN_KEY).option('--json', json, false);

withAdminOptions(
  program
    .command('query')
    .description("Run read-only SQL against a running serve's ClickHouse, through its admin endpoint (one SELECT, bounded rows and time).")
    .argument('<sql>', 'one SELECT statement'),
  'print one JSON row per line',
).action(async (sql: string, options: AdminOptions) => {
  await query(sql, { address: options.address, adminKey: clientKey(ADMIN_KEY, options.adminKeyFile), json: options.json });
});

/** The --database option of commands that read the tables through the admin endpoint. */
const withDatabase = (command: Command): Command => command.option('--database <name>', 'the database of the tables', process.env.TRIBUTARY_CLICKHOUSE_DATABASE ?? 'tributary');

withAdminOptions(
  withDatabase(
    program
      .command('identities')
      .description('Identity stitching (docs/identity.md).')
      .command('explain')
      .description("Show an id's identity group through the admin endpoint: its master id, the chain of links to it, every link with its event, and refused links.")
      .argument('<id>', 'a profile id, or user:<user id>'),
  ),
  'print the explanation as one JSON object',
).action(async (id: string, options: AdminOptions & { database: string }) => {
  await explainIdentity(id, { address: options.address, adminKey: clientKey(ADMIN_KEY, options.adminKeyFile), database: options.database, json: options.json });
});

withAdminOptions(
  program
    .command('reconcile')
    .description(
      "Check a source's accounting minute by minute through a sink's admin endpoint: received = accepted + duplicate + rejected + dropped, and accepted = stored + dead-lettered + pending; exits 1 naming the accepted records that are nowhere.",
    )
    .requiredOption('--source <id>', 'the source')
    .option('--since <duration>', 'how far back, such as 30m, 1h or 2d', '1h'),
  'print the reconciliation as one JSON object',
).action(async (options: AdminOptions & { source: string; since: string }) => {
  process.exitCode = await reconcileSource({ address: options.address, adminKey: clientKey(ADMIN_KEY, options.adminKeyFile), source: options.source, since: options.since, json: options.json });
});

const plans = program.command('plan').description('Tracking plans (docs/tracking-plans.md).');
plans
  .command('check')
  .description('Compare two plan files: exits 1 printing each change of NEW that breaks records OLD passes, 0 when NEW is compatible, 2 when a file does not parse.')
  .argument('<old>', 'the plan in force')
  .argument('<new>', 'the plan proposed')
  .action((before: string, after: string) => {
    process.exitCode = checkPlanFiles(before, after);
  });
withKeyFile(
  plans
    .command('infer')
    .description("Draft a plan from what a source sent, through a sink's admin endpoint: each event and payload with its properties' types and how often each is present.")
    .option('--address <host:port>', "the sink's HTTP endpoint", process.env.TRIBUTARY_HTTP_ADDR ?? '127.0.0.1:8080')
    .requiredOption('--source <id>', 'the source')
    .option('--since <duration>', 'how far back, such as 1h or 7d', '7d'),
  ADMIN_KEY,
).action(async (options: { address: string; adminKeyFile?: string; source: string; since: string }) => {
  await inferSourcePlan({ address: options.address, adminKey: clientKey(ADMIN_KEY, options.adminKeyFile), source: options.source, since: options.since });
});

withKeyFile(
  program
    .command('tail')
    .description("Print a gateway's answers as they happen, one JSON line per record, through its admin endpoint; above --max-rate it says how many it skipped.")
    .option('--address <host:port>', "the gateway's HTTP endpoint", process.env.TRIBUTARY_HTTP_ADDR ?? '127.0.0.1:8080')
    .option('--source <id>', 'only this source')
    .option('--call <call>', 'only this call (track, identify, alias, group, consent, page, product)')
    .option('--name <name>', 'only tracks of this name')
    .option('--status <status>', 'only this status (accepted, duplicate, rejected, dropped)')
    .option('--reason <reason>', 'only this reason (a violation reason such as REQUIRED, or a drop reason such as suppressed)')
    .option('--max-rate <lines>', 'most lines a second', String(TAIL_DEFAULT_RATE))
    .option('--limit <lines>', 'end after this many lines'),
  ADMIN_KEY,
).action(async (options: { address: string; adminKeyFile?: string; source?: string; call?: string; name?: string; status?: string; reason?: string; maxRate: string; limit?: string }) => {
  const ended = new AbortController();
  process.once('SIGINT', () => ended.abort());
  process.once('SIGTERM', () => ended.abort());
  const { source, call, name, status, reason } = options;
  await tail({
    address: options.address,
    adminKey: clientKey(ADMIN_KEY, options.adminKeyFile),
    filter: { source, call, name, status, reason },
    maxRate: Number(options.maxRate),
    limit: options.limit === undefined ? undefined : Number(options.limit),
    signal: ended.signal,
  });
});

/** Collects a repeatable flag's values. */
const collect = (value: string, list: string[]): string[] => [...list, value];

/** Adds the gateway and channel options of `privacy`, `replay` and `tasks` to a command. */
const withGatewayAdmin = (command: Command): Command =>
  withKeyFile(command.option('--address <host:port>', 'the gateway (gRPC)', process.env.TRIBUTARY_GRPC_ADDR ?? '127.0.0.1:50051'), ADMIN_KEY)
    .option('--json', 'print each regulation or task as one JSON object', false)
    .option('--tls', "connect over TLS, trusting the system's CAs")
    .option('--ca-file <path>', 'connect over TLS, trusting this CA (PEM)')
    .option('--insecure', 'connect in plaintext to an address that is not this machine');

/** How `privacy`, `replay` and `tasks` reach the gateway, from their options. */
const adminConnection = (options: { address: string; adminKeyFile?: string; json: boolean } & ChannelOptions): AdminConnection => ({
  address: options.address,
  adminKey: clientKey(ADMIN_KEY, options.adminKeyFile),
  channel: { tls: options.tls, caFile: options.caFile, insecure: options.insecure },
  json: options.json,
});

const privacy = program.command('privacy').description("Suppress and erase persons' data (docs/privacy.md), through a gateway's AdminService.");
for (const [name, type] of Object.entries(REGULATION_COMMANDS)) {
  withGatewayAdmin(privacy.command(name).description(`Create a ${name} regulation and wait for it to end, showing its progress.`))
    .option('--user-id <id>', 'a user id of the person (repeatable)', collect, [])
    .option('--profile-id <id>', 'a profile id of the person (repeatable)', collect, [])
    .option('--email <address>', 'an email address of the person (repeatable)', collect, [])
    .option('--source <id>', 'only this source (repeatable); every source when none', collect, [])
    .option('--no-expand', "cover only the ids given, not the rest of each person's identity group")
    .action(async (options: RegulationFlags & { address: string; adminKeyFile?: string; json: boolean } & ChannelOptions) => {
      process.exitCode = await createRegulation(type, options, adminConnection(options));
    });
}
withGatewayAdmin(privacy.command('list').description('Show every regulation, newest first.')).action(async (options: { address: string; adminKeyFile?: string; json: boolean } & ChannelOptions) => {
  await showRegulations(undefined, adminConnection(options));
});
withGatewayAdmin(privacy.command('show').description('Show one regulation: its status, what it erased, its progress while it runs.').argument('<id>', 'the regulation id')).action(
  async (id: string, options: { address: string; adminKeyFile?: string; json: boolean } & ChannelOptions) => {
    await showRegulations(id, adminConnection(options));
  },
);

withGatewayAdmin(
  program
    .command('replay')
    .description(
      "Send a window of the stream through the sink again (docs/operations.md), and follow it to its end with a progress bar; rows stored already are not added again, and no suppressed or erased person's records come back.",
    )
    .requiredOption('--from <where>', 'where the window starts: a stream sequence, a time (2026-12-04T10:00:00Z) or a duration ago (2h, 7d)')
    .option('--to <where>', "where it ends, inclusive, as --from; the stream's last record when the replay starts by default")
    .option('--source <id>', 'only this source (repeatable)', collect, [])
    .option('--call <call>', 'only this call: track, identify, alias, group, consent, page or product (repeatable)', collect, [])
    .option('--name <event>', 'only track events of this name (repeatable)', collect, [])
    .option('--include-blocked', "replay records their source's current tracking plan would block too (logged by the gateway, kept on the task)", false),
).action(async (options: ReplayFlags & { address: string; adminKeyFile?: string; json: boolean } & ChannelOptions) => {
  process.exitCode = await startReplay(options, adminConnection(options));
});
const deadletters = program.command('deadletters').description('What the stages set aside, and its redrive once the cause is fixed (docs/operations.md, "Redrive").');
withAdminOptions(
  withDatabase(
    deadletters
      .command('list')
      .description('Show the dead letters not redriven yet, newest first, through the admin endpoint.')
      .option('--reason <reason>', 'only this reason (repeatable)', collect, [])
      .option('--source <id>', 'only this source (repeatable)', collect, [])
      .option('--all', 'redriven ones too', false)
      .option('--limit <n>', 'at most this many', '100'),
  ),
  'print one JSON row per line',
).action(async (options: AdminOptions & { database: string; reason: string[]; source: string[]; all: boolean; limit: string }) => {
  await listDeadLetters(
    { reason: options.reason, source: options.source, all: options.all, limit: Number(options.limit) || 100 },
    { address: options.address, adminKey: clientKey(ADMIN_KEY, options.adminKeyFile), database: options.database, json: options.json },
  );
});
withAdminOptions(
  withDatabase(deadletters.command('show').description("Show one dead letter, by its record's stream sequence, with the record decoded.").argument('<sequence>', "the record's stream sequence")),
  'print it as one line of JSON',
).action(async (seq: string, options: AdminOptions & { database: string }) => {
  process.exitCode = await showDeadLetter(seq, { address: options.address, adminKey: clientKey(ADMIN_KEY, options.adminKeyFile), database: options.database, json: options.json });
});
withGatewayAdmin(
  deadletters
    .command('redrive')
    .description(
      'Send the dead letters not redriven yet back through the stage that set them aside, at a rate limit, and follow the task to its end; each one that goes through is marked, one that fails again goes back once with its reason.',
    )
    .option('--reason <reason>', 'only this reason: IDENTITY_LINK_REFUSED or REJECTED_BY_CLICKHOUSE (repeatable)', collect, [])
    .option('--source <id>', 'only this source (repeatable)', collect, [])
    .option('--from <when>', 'only those set aside at or after: a time (2026-12-04T10:00:00Z) or a duration ago (2h, 7d)')
    .option('--to <when>', 'only those set aside at or before, as --from')
    .option('--rate <n>', 'at most this many a second (1,000 by default)'),
).action(async (options: RedriveFlags & { address: string; adminKeyFile?: string; json: boolean } & ChannelOptions) => {
  process.exitCode = await startRedrive(options, adminConnection(options));
});
const tasks = program.command('tasks').description('Durable tasks (replays and redrives) the sink processes run.');
withGatewayAdmin(tasks.command('list').description('Show every task, newest first.')).action(async (options: { address: string; adminKeyFile?: string; json: boolean } & ChannelOptions) => {
  await showTasks(undefined, adminConnection(options));
});
withGatewayAdmin(tasks.command('show').description('Show one task: what it sends, its status and progress.').argument('<id>', 'the task id')).action(
  async (id: string, options: { address: string; adminKeyFile?: string; json: boolean } & ChannelOptions) => {
    await showTasks(id, adminConnection(options));
  },
);
withGatewayAdmin(tasks.command('cancel').description('Stop a task after the batch in hand; what it stored stays stored.').argument('<id>', 'the task id')).action(
  async (id: string, options: { address: string; adminKeyFile?: string; json: boolean } & ChannelOptions) => {
    await cancelTask(id, adminConnection(options));
  },
);

program
  .command('keys')
  .description('Generate a key; with --source, an API key shown once with its line for TRIBUTARY_API_KEYS_FILE (its SHA-256, never the key).')
  .option('--source <id>', 'the source the API key names')
  .option('--hash', 'instead, read a keys file on stdin and print it with every key=source line as its sha256:<hex>=source line', false)
  .action((options: { source?: string; hash: boolean }) => {
    if (options.hash) process.stdout.write(hashKeysFile(readFileSync(0, 'utf8')));
    else console.log(newKeyText(options.source));
  });

program.parseAsync().catch((error: unknown) => {
  // Errors that explain themselves print their message alone; anything else a one-line reason, and its stack at debug level.
  const explained =
    error instanceof ConfigError ||
    error instanceof UnsupportedVersionError ||
    error instanceof AdminQueryFailed ||
    error instanceof DataDirInUseError ||
    error instanceof DataDirNotOwnedError ||
    error instanceof StartFailed ||
    error instanceof KeyNotFound;
  if (explained) console.error(error.message);
  else console.error(`tributary: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  if (!explained && /^(debug|trace)$/.test(process.env.TRIBUTARY_LOG_LEVEL ?? '')) console.error(error);
  process.exitCode = 1;
});
