/**
 * What createClient takes, shared by the Node and browser entry points, and
 * the parts both build the same way.
 */
import type { ClientSettings } from './client';
import { GrpcWebTransport } from './grpc-web-transport';

/** Where and how a client sends. */
export interface ClientOptions extends ClientSettings {
  /** grpc: host:port (TLS unless it is this machine), grpcs://host:port (TLS) or grpc://host:port (plaintext). grpc-web: the HTTP endpoint, such as http://127.0.0.1:8080. */
  readonly url: string;
  /** An API key of the gateway; it names the source. */
  readonly apiKey: string;
  /** grpc (Node only), grpc-web, or grpc-web-text (base64, for platforms whose fetch cannot carry binary). */
  readonly transport: 'grpc' | 'grpc-web' | 'grpc-web-text';
}

/** The SDK as it names itself in every event's context.library: its package's name and version. */
export { LIBRARY } from './gen/library';

/** The gRPC-Web transport the options ask for. */
export function webTransport(options: ClientOptions): GrpcWebTransport {
  return new GrpcWebTransport(options.url, options.apiKey, options.transport === 'grpc-web-text');
}
