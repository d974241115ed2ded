/**
 * The gRPC transport for Node: Ingest over HTTP/2 with grpc-js, encoding with
 * the same browser-safe message code as the gRPC-Web transport.
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

/** gRPC to `url`: host:port, or grpc://host:port (plaintext) or grpcs://host:port (TLS, also whenever `tls` is given). */
export class GrpcTransport implements Transport {
  private readonly client: Client;
  private readonly metadata = new Metadata();

  constructor(url: string, apiKey: string, tls?: GrpcTls) {
    const secure = tls !== undefined || url.startsWith('grpcs://') || url.startsWith('https://');
    const address = url.replace(/^(grpcs?|https?):\/\//, '');
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
