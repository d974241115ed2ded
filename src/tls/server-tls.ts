/**
 * TLS of the service's own listeners, gRPC and HTTP alike, from one
 * certificate and key (TRIBUTARY_TLS_CERT_FILE, TRIBUTARY_TLS_KEY_FILE) and,
 * for mutual TLS, the CA that signs the clients' certificates
 * (TRIBUTARY_TLS_CLIENT_CA_FILE). The files are watched: a renewed
 * certificate is served to new connections within seconds, without a restart.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import { experimental, ServerCredentials } from '@grpc/grpc-js';
import type { Config } from '../config/settings';

/** How often the files are looked at for a change. */
const POLL_MS = 1000;

/** The files of a listener's TLS. */
export interface ServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** The CA of the clients' certificates, or '' when clients are not asked for one. */
  readonly clientCaFile: string;
}

/** The TLS the configuration asks for, or undefined for plain listeners. */
export const serverTlsOf = (config: Config): ServerTls | undefined =>
  config.tlsCertFile === '' ? undefined : { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile, clientCaFile: config.tlsClientCaFile };

/** The gRPC server's credentials: plain without TLS; else the watched files, requiring a client certificate when a client CA is set. */
export function grpcServerCredentials(tls: ServerTls | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  const watch = (files: { certificateFile?: string; privateKeyFile?: string; caCertificateFile?: string }) => new experimental.FileWatcherCertificateProvider({ ...files, refreshIntervalMs: POLL_MS });
  const identity = watch({ certificateFile: tls.certFile, privateKeyFile: tls.keyFile });
  const clients = tls.clientCaFile === '' ? null : watch({ caCertificateFile: tls.clientCaFile });
  // grpc-js 1.14 hands this function's first argument to the credentials as the identity
  // provider and its second as the CA provider, whatever its declaration names them.
  return experimental.createCertificateProviderServerCredentials(identity, clients as unknown as experimental.CertificateProvider, clients !== null);
}

/** The TLS options of the HTTP server now: the certificate, and the client CA (required) for mutual TLS. */
export function httpsOptions(tls: ServerTls): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
  const mutual = tls.clientCaFile !== '';
  return {
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    ...(mutual && { ca: readFileSync(tls.clientCaFile) }),
    requestCert: mutual,
    rejectUnauthorized: mutual,
  };
}

/** Calls `changed` when any of the files changes; returns the function that stops watching. */
export function watchTlsFiles(tls: ServerTls, changed: () => void): () => void {
  const files = [tls.certFile, tls.keyFile, tls.clientCaFile].filter((file) => file !== '');
  for (const file of files) watchFile(file, { interval: POLL_MS }, changed);
  return () => {
    for (const file of files) unwatchFile(file, changed);
  };
}
