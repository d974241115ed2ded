/**
 * How `send` reaches a gateway: TLS when asked (`--tls` with the system's
 * CAs, `--ca-file` with one of your own, and a client certificate for
 * mutual TLS), and plaintext otherwise, but only to a loopback address
 * unless `--insecure` says so: an API key never crosses a network in the
 * clear by accident.
 */
import { readFileSync } from 'node:fs';
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { isLoopback } from '../serve/dev-keys';

/** The transport options of `send`. */
export interface ChannelOptions {
  readonly tls?: boolean;
  readonly caFile?: string;
  readonly clientCertFile?: string;
  readonly clientKeyFile?: string;
  readonly insecure?: boolean;
}

/** The credentials to reach `address` with; throws when they would send in plaintext off this machine without --insecure. */
export function channelCredentials(address: string, options: ChannelOptions): ChannelCredentials {
  if ((options.clientCertFile === undefined) !== (options.clientKeyFile === undefined)) throw new Error('--client-cert-file and --client-key-file go together');
  const secure = options.tls === true || options.caFile !== undefined || options.clientCertFile !== undefined;
  if (secure && options.insecure === true) throw new Error('--insecure sends in plaintext; it does not go with --tls, --ca-file or a client certificate');
  if (!secure && options.insecure !== true && !isLoopback(address)) {
    throw new Error(`${address} is not this machine: send over TLS (--tls, or --ca-file <pem>), or pass --insecure to send in plaintext anyway`);
  }
  if (!secure) return credentials.createInsecure();
  const read = (file: string | undefined) => (file === undefined ? null : readFileSync(file));
  return credentials.createSsl(read(options.caFile), read(options.clientKeyFile), read(options.clientCertFile));
}
