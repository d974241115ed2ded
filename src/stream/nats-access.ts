/**
 * How a process proves who it is to NATS, and how it encrypts the link: the
 * connection options the NATS_* credential and TLS settings give. One of a
 * creds file (JWT and nkey seed), an nkey seed file, a user and password, or
 * a token; and TLS with a CA, and a client certificate for mutual TLS. Files
 * are read when a connection is made, so a rotated file is used by the next
 * connection; no secret is ever logged.
 */
import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, tokenAuthenticator, usernamePasswordAuthenticator, type ConnectionOptions } from '@nats-io/nats-core';
import type { Config } from '../config/settings';

/** The part of the NATS connection options that says who connects and how the link is encrypted. */
export type NatsAccess = Pick<ConnectionOptions, 'authenticator' | 'tls'>;

/** The connection options the settings ask for: no authenticator and no TLS when none is set. */
export function natsAccess(config: Config): NatsAccess {
  const access: { -readonly [K in keyof NatsAccess]: NatsAccess[K] } = {};
  if (config.natsCredsFile !== '') access.authenticator = credsAuthenticator(() => readFileSync(config.natsCredsFile));
  else if (config.natsNkeySeedFile !== '') access.authenticator = nkeyAuthenticator(() => new TextEncoder().encode(readFileSync(config.natsNkeySeedFile, 'utf8').trim()));
  else if (config.natsUser !== '') access.authenticator = usernamePasswordAuthenticator(config.natsUser, config.natsPassword);
  else if (config.natsToken !== '') access.authenticator = tokenAuthenticator(config.natsToken);
  if (config.natsTlsCaFile !== '' || config.natsTlsCertFile !== '') {
    access.tls = {
      ...(config.natsTlsCaFile !== '' && { caFile: config.natsTlsCaFile }),
      ...(config.natsTlsCertFile !== '' && { certFile: config.natsTlsCertFile, keyFile: config.natsTlsKeyFile }),
    };
  }
  return access;
}
