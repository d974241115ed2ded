/**
 * `tributary serve`: the whole service in one process: the gateway, the sink
 * and the HTTP endpoint (src/serve/parts.ts). Without NATS_URL it runs
 * its own nats-server; without CLICKHOUSE_URL the sink uses the embedded
 * engine; without API keys on loopback it runs in dev mode. Its data
 * folder is private to its user (src/serve/private-data-dir.ts).
 */
import type { Logger } from 'pino';
import { loadConfig } from '../config/load';
import { apiKeyFileLine, digestKey } from '../config/parsers';
import type { Config, SettingName } from '../config/settings';
import { DEV_SOURCE, devKeys, isLoopback, type DevKeys } from './dev-keys';
import { lockDataDir } from './data-dir-lock';
import { EMBEDDED_NATS_USER, EmbeddedNats } from './embedded-nats';
import { makeDataDirPrivate } from './private-data-dir';
import { startParts } from './parts';
import { StopList } from '../lifecycle/stop-list';

/** The origins dev mode allows when TRIBUTARY_CORS_ORIGINS is empty: pages on loopback, any port. */
export const DEV_CORS_ORIGINS = 'http://127.0.0.1:*,http://localhost:*';

/** The running service. */
export interface Served {
  readonly config: Config;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** The dev-mode keys, when serve made or reused them. */
  readonly devKeys: DevKeys | undefined;
  stop(): Promise<void>;
}

/** Reads the configuration from `env` and `flags` and starts everything (`signal` cancels the start); stops what it started if a part fails. */
export async function startServe(env: NodeJS.ProcessEnv, logger: Logger, flags: Partial<Record<SettingName, string>> = {}, signal?: AbortSignal): Promise<Served> {
  let config = loadConfig(env, flags);
  const overrides: Partial<Record<SettingName, string>> = { ...flags };
  makeDataDirPrivate(config.dataDir, logger);
  let keys: DevKeys | undefined;
  if (config.apiKeys.length === 0 && config.apiKeysFile === '') {
    if (!isLoopback(config.grpcAddr) || !isLoopback(config.httpAddr)) {
      throw new Error('serve listens outside loopback but has no API key: set TRIBUTARY_API_KEYS or TRIBUTARY_API_KEYS_FILE (and TRIBUTARY_ADMIN_KEY)');
    }
    keys = devKeys(config.dataDir);
    overrides.apiKeys = apiKeyFileLine({ digest: digestKey(keys.apiKey), source: DEV_SOURCE });
    if (config.adminKey === '') overrides.adminKey = keys.adminKey;
    // Pages served from this machine (examples, a dev server) may call gRPC-Web.
    if (config.corsOrigins.length === 0) overrides.corsOrigins = DEV_CORS_ORIGINS;
  }
  const lock = lockDataDir(config.dataDir);
  const stops = new StopList(logger);
  stops.add(() => lock.release());
  let embedded: EmbeddedNats | undefined;
  const stop = async () => {
    embedded?.beginShutdown();
    await stops.stopAll();
  };
  try {
    if (config.natsUrl === '') {
      const nats = (embedded = await EmbeddedNats.start(config, logger));
      stops.add(() => nats.stop(), 'embedded nats-server stopped');
      // Serve's parts, and nothing else, connect with this start's password, over loopback.
      Object.assign(overrides, {
        natsUrl: nats.url,
        natsUser: EMBEDDED_NATS_USER,
        natsPassword: nats.password,
        natsCredsFile: '',
        natsNkeySeedFile: '',
        natsToken: '',
        natsTlsCaFile: '',
        natsTlsCertFile: '',
        natsTlsKeyFile: '',
      });
    }
    config = loadConfig(env, overrides);
    const parts = await startParts(config, logger, { gateway: true, sink: true }, signal);
    stops.add(() => parts.stop());
    const grpcPort = parts.grpcPort ?? 0;
    logger.info({ grpc: grpcPort, http: parts.httpPort, devMode: keys !== undefined }, 'tributary serving');
    return { config, grpcPort, httpPort: parts.httpPort, devKeys: keys, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
