/**
 * The Tributary SDK for Node: gRPC through grpc-js, or gRPC-Web over fetch.
 * `createClient({ url, apiKey, transport })`, then track, identify, alias,
 * group, consent, page and product; flush and close.
 */
import { TributaryClient } from './client';
import { GrpcTransport } from './grpc-transport';
import { LIBRARY, webTransport, type ClientOptions } from './options';

export { TributaryClient, DEFAULTS, type ClientSettings, type EventOptions, type IdentifyOptions, type Payload } from './client';
export type { Outcome } from './delivery';
export type { ClientOptions } from './options';
export { TributaryError } from './transport';

/** A client for Node; servers get no session id unless they set platform or sessionId. */
export function createClient(options: ClientOptions): TributaryClient {
  const transport = options.transport === 'grpc' ? new GrpcTransport(options.url, options.apiKey) : webTransport(options);
  return new TributaryClient(transport, { ...options, library: LIBRARY });
}
