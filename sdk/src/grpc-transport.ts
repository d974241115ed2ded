/**
 * The gRPC transport for Node: Ingest over HTTP/2 with grpc-js, encoding with
 * the same browser-safe message code as the gRPC-Web transport. It sends in
 * plaintext only to this machine, or where the caller asks for it by name
 * (`insecure`): an API key does not cross a network in the clear by default.
 */
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { IngestRequest, IngestResponse } from './gen/tributary/ingest/v1/ingest_service';
import { errorFromStatus, INGEST_PATH, type Transport } from './transport';

/** TLS of the gRPC transport: the CA to trust instead of the system's, and a client certificate for mutual TLS (PEM). */
export interface GrpcTls {
  readonly ca?: string | Uint8Array;
  readonly cert?: string | Uint8Array;
  readonly key?: string | Uint8Array;
}

const pem = (value: string | Uint8Array | undefined): Buffer | null => (value === undefined ? null : Buffer.from(value));

/** Whether `address` (host:port) is this machine. */
const isLoopback = (address: string): boolean => {
  const host = address.slice(0, address.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
};

/**
 * Where and how to reach `url`: TLS for grpcs:// or https://, when `tls` is given, and for a bare host:port off
 * this machine; plaintext for grpc:// or a bare host:port on this machine, or anywhere with `insecure`. Throws
 * for grpc:// off this machine without `insecure`, and for `insecure` beside TLS.
 */
export function grpcTarget(url: string, tls: GrpcTls | undefined, insecure = false): { readonly address: string; readonly secure: boolean } {
  const scheme = /^(grpcs?|https?):\/\//.exec(url)?.[1];
  const address = url.slice(scheme === undefined ? 0 : scheme.length + 3);
  const askedTls = tls !== undefined || scheme === 'grpcs' || scheme === 'https';
  if (askedTls && insecure) throw new Error('insecure sends in plaintext; it does not go with grpcs://, https:// or tls');
  if (askedTls) return { address, secure: true };
  if (insecure || isLoopback(address)) return { address, secure: false };
  if (scheme !== undefined) throw new Error(`${url} would send the API key in plaintext off this machine: use grpcs:// (or tls), or set insecure: true`);
  return { address, secure: true };
}

/** gRPC to `url`, over TLS or in plaintext as {@link grpcTarget} decides. */
export class GrpcTransport implements Transport {
  private readonly client: Client;
  private readonly metadata = new Metadata();

  constructor(url: string, apiKey: string, tls?: GrpcTls, insecure = false) {
    const { address, secure } = grpcTarget(url, tls, insecure);
    this.client = new Client(address, secure ? credentials.createSsl(pem(tls?.ca), pem(tls?.key), pem(tls?.cert)) : credentials.createInsecure());
    this.metadata.set('authorization', `Bearer ${apiKey}`);
  }

  ingest(request: IngestRequest, timeoutMs: number): Promise<IngestResponse> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        INGEST_PATH,
        (message: IngestRequest) => Buffer.from(IngestRequest.encode(message).finish()),
        (bytes: Buffer) => IngestResponse.decode(bytes),
        request,
        this.metadata,
        { deadline: Date.now() + timeoutMs },
        (error: ServiceError | null, response?: IngestResponse) => {
          if (error === null && response !== undefined) return resolve(response);
          const details = error?.metadata?.get('grpc-status-details-bin')[0];
          reject(errorFromStatus(error?.code ?? 2, error?.details ?? 'the call failed', details instanceof Buffer ? details : undefined));
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
