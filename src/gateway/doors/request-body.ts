/**
 * The body of an HTTP door's request, read only once its call is
 * authenticated (door.ts; Segment's small writeKey body is the one exception,
 * segment-door.ts): read within a byte limit, gunzipped within the
 * same limit when it says `Content-Encoding: gzip` (so a small bomb cannot
 * take memory), and parsed as JSON within a depth bound, with an error that
 * says where it broke. Every refusal is an IngestError with its reason.
 */
import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { IngestError } from '../../errors/ingest-error';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth';

const gunzipAsync = promisify(gunzip);

/** UTF-8 that refuses bytes which are not UTF-8, rather than putting U+FFFD in their place (two ids could become one). */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The request's content encoding, lower-case: `identity` when it names none. */
export const contentEncoding = (request: IncomingMessage): string => (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();

/** Reads the body, at most `maxBytes` on the wire and after decompression. */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = (what: string) => new IngestError('REQUEST_TOO_LARGE', `the request body is larger than ${maxBytes} bytes${what}`, { metadata: { max_bytes: String(maxBytes) } });
  const encoding = contentEncoding(request);
  if (encoding !== 'identity' && encoding !== 'gzip') throw new IngestError('UNSUPPORTED_MEDIA_TYPE', `content-encoding "${encoding}" is not supported: send gzip or identity`);
  if (Number(request.headers['content-length'] ?? 0) > maxBytes) throw tooLarge('');
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > maxBytes) {
      request.resume();
      throw tooLarge('');
    }
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  if (encoding === 'identity') return body;
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(' once gunzipped');
    throw new IngestError('MALFORMED_REQUEST', `the gzip body does not decompress: ${(error as Error).message}`);
  }
}

/**
 * Parses a JSON body: one nesting deeper than MAX_JSON_DEPTH is TOO_DEEP; one
 * that is not UTF-8, or not JSON, is MALFORMED_REQUEST saying where it broke.
 */
export function parseJson(body: Buffer): unknown {
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
    throw new IngestError('TOO_DEEP', `the body nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`, { metadata: { max_depth: String(MAX_JSON_DEPTH) } });
  }
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new IngestError('MALFORMED_REQUEST', 'the body is not UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new IngestError('MALFORMED_REQUEST', `the body is not JSON: ${(error as Error).message}`);
  }
}
