/**
 * The Tributary SDK for Node: gRPC through grpc-js, or gRPC-Web over fetch.
 * `createClient({ url, apiKey, transport })`, then track, identify, alias,
 * group, consent, page and product; flush and close.
 */
import { TributaryClient } from './client';
import { GrpcTransport, type GrpcTls } from './grpc-transport';
import { LIBRARY, webTransport, type ClientOptions } from './options';

export { TributaryClient, DEFAULTS, type ClientSettings, type EventOptions, type IdentifyOptions, type Payload } from './client';
export type { DropCause, Outcome } from './delivery';
export type { ClientOptions } from './options';
export type { GrpcTls } from './grpc-transport';
export { TributaryError } from './transport';

/** What createClient takes in Node: the shared options, and TLS for the gRPC transport. */
export interface NodeClientOptions extends ClientOptions {
  /** With transport grpc: the CA to trust and a client certificate (PEM); giving it turns TLS on. */
  readonly tls?: GrpcTls;
  /** With transport grpc: send in plaintext to a host that is not this machine (otherwise grpc:// there is refused, and a bare host:port uses TLS). */
  readonly insecure?: boolean;
}

/** A client for Node; servers get no session id unless they set platform or sessionId. */
export function createClient(options: NodeClientOptions): TributaryClient {
  const transport = options.transport === 'grpc' ? new GrpcTransport(options.url, options.apiKey, options.tls, options.insecure) : webTransport(options);
  return new TributaryClient(transport, { ...options, library: LIBRARY });
}
