/**
 * One gRPC-Web call over fetch: request frames out, response frames and
 * trailers back. Runs in browsers, React Native and Node alike. Used by the
 * SDK's gRPC-Web transport and by the tests of the gateway's bridge.
 */
import { fromBase64, toBase64 } from './base64';
import { encodeFrame, FrameReader, parseTrailers, TRAILER_FLAG } from './frames';

/** How the call goes out. */
export interface GrpcWebCallOptions {
  /** Extra request headers: metadata such as authorization, and grpc-timeout. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Use application/grpc-web-text (base64), for platforms whose fetch cannot carry binary bodies. */
  readonly text?: boolean;
  readonly signal?: AbortSignal;
  /** Let the request outlive the page (fetch keepalive: the browser allows 64 KiB of such bodies in flight). */
  readonly keepalive?: boolean;
}

/** What came back. */
export interface GrpcWebCallResult {
  /** The HTTP status; 200 whenever a gRPC status follows. */
  readonly httpStatus: number;
  readonly headers: Headers;
  /** The response messages, in order. */
  readonly messages: Uint8Array[];
  /** The trailers (grpc-status, grpc-message, grpc-status-details-bin, …); empty when the body had none. */
  readonly trailers: Record<string, string>;
}

/** Calls `url` (the HTTP endpoint plus /package.Service/Method) with `requests` as message frames. */
export async function grpcWebCall(url: string, requests: readonly Uint8Array[], options: GrpcWebCallOptions = {}): Promise<GrpcWebCallResult> {
  const frames = requests.map((request) => encodeFrame(0, request));
  const body = new Uint8Array(frames.reduce((sum, frame) => sum + frame.length, 0));
  frames.reduce((at, frame) => (body.set(frame, at), at + frame.length), 0);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': options.text === true ? 'application/grpc-web-text' : 'application/grpc-web+proto',
      accept: options.text === true ? 'application/grpc-web-text' : 'application/grpc-web+proto',
      'x-grpc-web': '1',
      ...options.headers,
    },
    body: options.text === true ? toBase64(body) : body,
    signal: options.signal,
    keepalive: options.keepalive,
  });
  const bytes = options.text === true ? fromBase64(await response.text()) : new Uint8Array(await response.arrayBuffer());
  const messages: Uint8Array[] = [];
  let trailers: Record<string, string> = {};
  for (const frame of new FrameReader().push(bytes)) {
    if ((frame.flag & TRAILER_FLAG) !== 0) trailers = parseTrailers(frame.payload);
    else messages.push(frame.payload);
  }
  // A trailers-only answer may carry its status as headers instead.
  if (trailers['grpc-status'] === undefined && response.headers.get('grpc-status') !== null) {
    trailers = { 'grpc-status': response.headers.get('grpc-status') ?? '', 'grpc-message': response.headers.get('grpc-message') ?? '' };
  }
  return { httpStatus: response.status, headers: response.headers, messages, trailers };
}
