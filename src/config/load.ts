/**
 * Reads the configuration from the environment into one typed, frozen
 * Config. Every problem is collected and reported at once, and an unknown
 * TRIBUTARY_* variable is refused with the closest valid name; the variables
 * clients read (CLIENT_VARIABLES) are not settings and are let be.
 */
import { closest } from 'fastest-levenshtein';
import type { ValidationLimits } from '../contract/limits';
import { CLIENT_VARIABLES, SETTINGS, type Config, type SettingName } from './settings';

/** The configuration could not be read; `problems` lists every reason. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const KNOWN = Object.values(SETTINGS).map((s) => s.env);

/** Rules between settings, checked once each setting is valid on its own. */
function crossChecks(config: Config): string[] {
  const problems: string[] = [];
  if (config.maxInFlight < config.maxRecordsPerRequest) {
    problems.push(`TRIBUTARY_MAX_IN_FLIGHT (${config.maxInFlight}) must be at least TRIBUTARY_MAX_RECORDS_PER_REQUEST (${config.maxRecordsPerRequest}), or a full batch could never be published`);
  }
  if (config.maxRecordBytes > config.maxRequestBytes) {
    problems.push(`TRIBUTARY_MAX_RECORD_BYTES (${config.maxRecordBytes}) must not exceed TRIBUTARY_MAX_REQUEST_BYTES (${config.maxRequestBytes})`);
  }
  const credentials = [
    config.natsCredsFile !== '' && 'NATS_CREDS_FILE',
    config.natsNkeySeedFile !== '' && 'NATS_NKEY_SEED_FILE',
    config.natsUser !== '' && 'NATS_USER',
    config.natsToken !== '' && 'NATS_TOKEN',
  ].filter(Boolean);
  if (credentials.length > 1) problems.push(`set one NATS credential, not ${credentials.join(' and ')}`);
  if (config.natsPassword !== '' && config.natsUser === '') problems.push('NATS_PASSWORD needs NATS_USER');
  if ((config.natsTlsCertFile === '') !== (config.natsTlsKeyFile === '')) problems.push('NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE go together');
  if ((config.tlsCertFile === '') !== (config.tlsKeyFile === '')) problems.push('TRIBUTARY_TLS_CERT_FILE and TRIBUTARY_TLS_KEY_FILE go together');
  if (config.tlsClientCaFile !== '' && config.tlsCertFile === '') problems.push('TRIBUTARY_TLS_CLIENT_CA_FILE needs TRIBUTARY_TLS_CERT_FILE and TRIBUTARY_TLS_KEY_FILE');
  if (config.grpcWebMaxBodyBytes < config.maxRequestBytes + 5) {
    problems.push(
      `TRIBUTARY_GRPC_WEB_MAX_BODY (${config.grpcWebMaxBodyBytes}) must be more than TRIBUTARY_MAX_REQUEST_BYTES (${config.maxRequestBytes}) plus a 5-byte frame header, or a full request could not pass`,
    );
  }
  return problems;
}

/**
 * Builds the Config from `env` (normally process.env), with `overrides`
 * (for example from command-line flags) taking precedence, by setting name.
 */
export function loadConfig(env: NodeJS.ProcessEnv, overrides: Partial<Record<SettingName, string>> = {}): Config {
  const problems: string[] = [];
  for (const name of Object.keys(env)) {
    if (name.startsWith('TRIBUTARY_') && !KNOWN.includes(name) && !CLIENT_VARIABLES.includes(name)) {
      problems.push(`${name} is not a setting; did you mean ${closest(name, KNOWN)}?`);
    }
  }
  const config: { [name: string]: unknown } = {};
  for (const [name, setting] of Object.entries(SETTINGS)) {
    const raw = overrides[name as SettingName] ?? env[setting.env] ?? setting.fallback;
    try {
      config[name] = setting.parse(raw);
    } catch (error) {
      problems.push(`${setting.env}: ${(error as Error).message}`);
    }
  }
  if (problems.length === 0) problems.push(...crossChecks(config as Config));
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config) as Config;
}

/** Where gateway and sink find NATS: NATS_URL, or a local server when it is empty. */
export const natsServers = (config: Config): string => (config.natsUrl === '' ? 'nats://127.0.0.1:4222' : config.natsUrl);

/** The validator's limits as the configuration sets them. */
export function validationLimits(config: Config): ValidationLimits {
  const { maxEventIdLength, maxIdLength, maxNameLength, maxTextLength, maxStructDepth, maxStructEntries, maxKeyLength, maxTags, maxRecordBytes, maxFutureMs } = config;
  return Object.freeze({ maxEventIdLength, maxIdLength, maxNameLength, maxTextLength, maxStructDepth, maxStructEntries, maxKeyLength, maxTags, maxRecordBytes, maxFutureMs });
}
