/**
 * The gRPC-Web transport: Ingest over fetch to the HTTP endpoint, in browsers,
 * React Native and Node. Binary frames by default, base64 text on request.
 */
import { fromBase64 } from './grpc-web/base64';
import { grpcWebCall } from './grpc-web/fetch-call';
import { IngestRequest, IngestResponse } from './gen/tributary/ingest/v1/ingest_service';
import { errorFromStatus, GrpcCode, INGEST_PATH, type Transport } from './transport';

/** gRPC-Web to `url` (the HTTP endpoint, such as https://ingest.example.com). */
export class GrpcWebTransport implements Transport {
  /** The Ingest method's URL. */
  private readonly endpoint: string;

  constructor(
    url: string,
    private readonly apiKey: string,
    private readonly text = false,
  ) {
    this.endpoint = `${url.replace(/\/+$/, '')}${INGEST_PATH}`;
  }

  async ingest(request: IngestRequest, timeoutMs: number): Promise<IngestResponse> {
    let result;
    try {
      result = await grpcWebCall(this.endpoint, [IngestRequest.encode(request).finish()], {
        headers: { authorization: `Bearer ${this.apiKey}`, 'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m` },
        text: this.text,
        signal: AbortSignal.timeout(timeoutMs + 1000),
      });
    } catch (error) {
      throw errorFromStatus(GrpcCode.UNAVAILABLE, `the gateway could not be reached: ${(error as Error).message}`);
    }
    const code = Number(result.trailers['grpc-status'] ?? (result.httpStatus === 200 ? GrpcCode.INTERNAL : GrpcCode.UNAVAILABLE));
    if (code !== GrpcCode.OK) {
      const details = result.trailers['grpc-status-details-bin'];
      throw errorFromStatus(code, decodeURIComponent(result.trailers['grpc-message'] ?? `HTTP ${result.httpStatus}`), details === undefined ? undefined : fromBase64(details));
    }
    if (result.messages.length !== 1) throw errorFromStatus(GrpcCode.INTERNAL, `expected one response message, got ${result.messages.length}`);
    return IngestResponse.decode(result.messages[0]);
  }

  sendBeforeUnload(request: IngestRequest): void {
    const headers = { authorization: `Bearer ${this.apiKey}` };
    grpcWebCall(this.endpoint, [IngestRequest.encode(request).finish()], { headers, text: this.text, keepalive: true }).catch(() => undefined);
  }

  close(): void {}
}
