/**
 * Requests whose body never ends: the headers and a first chunk go out, the
 * rest never does, so an answer can only come from a server that neither
 * waited for nor read the body. Over HTTP/1.1 (the HTTP endpoint) and over
 * HTTP/2 (the gRPC port). Each is torn down once answered, and fails after
 * its deadline when no answer comes.
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect, type IncomingHttpStatusHeader } from 'node:http2';

/** An HTTP answer, read to its end. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Rejects after `timeoutMs` unless `answer` settles first. */
function withDeadline<T>(what: string, timeoutMs: number, answer: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([answer, deadline]).finally(() => clearTimeout(timer));
}

/** POSTs `firstChunk` to `url` as the start of a body that never ends; the answer, read to its end. */
export function unfinishedPost(url: string, headers: OutgoingHttpHeaders, firstChunk: Uint8Array, timeoutMs = 10_000): Promise<HttpAnswer> {
  let sent: ReturnType<typeof httpRequest> | undefined;
  const answer = new Promise<HttpAnswer>((resolve, reject) => {
    sent = httpRequest(url, { method: 'POST', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.write(firstChunk);
  });
  return withDeadline(`POST ${url}`, timeoutMs, answer).finally(() => sent?.destroy());
}

/** Starts a gRPC call on `path` at `address` (host:port) whose request never ends; the response headers (a refusal's status is among them). */
export function unfinishedGrpcCall(address: string, path: string, headers: OutgoingHttpHeaders, firstChunk: Uint8Array, timeoutMs = 10_000): Promise<IncomingHttpHeaders & IncomingHttpStatusHeader> {
  const session = connect(`http://${address}`);
  const answer = new Promise<IncomingHttpHeaders & IncomingHttpStatusHeader>((resolve, reject) => {
    session.on('error', reject);
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers });
    stream.on('response', resolve);
    stream.on('error', reject);
    stream.write(firstChunk);
  });
  return withDeadline(`gRPC ${path}`, timeoutMs, answer).finally(() => session.destroy());
}
