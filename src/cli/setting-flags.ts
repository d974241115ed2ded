/**
 * Command-line flags for every setting but the secrets, derived from the
 * settings table: TRIBUTARY_GRPC_ADDR becomes --grpc-addr, NATS_USER
 * --nats-user. A flag wins over its environment variable. A secret (an API
 * key, the admin key, a NATS password or token, a server URL that may hold
 * credentials) has no flag: a command line shows in `ps` to every user of
 * the machine.
 */
import type { Command } from 'commander';
import { SETTINGS, type SettingName } from '../config/settings';

/** The settings that may be given as flags: all but the secrets. */
const FLAGGED = Object.entries(SETTINGS).filter(([, setting]) => !setting.secret);

/** The flag of a setting's environment variable. */
export const flagOf = (env: string): string =>
  `--${env
    .replace(/^TRIBUTARY_/, '')
    .toLowerCase()
    .replace(/_/g, '-')}`;

/** The commander option key of a flag (commander camel-cases it). */
const keyOf = (flag: string): string => flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Adds one flag per setting (but the secrets) to `command`. */
export function addSettingFlags(command: Command): Command {
  for (const [, setting] of FLAGGED) command.option(`${flagOf(setting.env)} <value>`, `${setting.doc} (${setting.env})`);
  return command;
}

/** The settings given as flags, by setting name, for loadConfig's overrides. */
export function settingOverrides(options: { readonly [key: string]: unknown }): Partial<Record<SettingName, string>> {
  const overrides: Partial<Record<SettingName, string>> = {};
  for (const [name, setting] of FLAGGED) {
    const value = options[keyOf(flagOf(setting.env))];
    if (typeof value === 'string') overrides[name as SettingName] = value;
  }
  return overrides;
}
