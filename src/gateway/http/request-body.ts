/**
 * The body of an HTTP door's request: read within a byte limit, gunzipped
 * within the same limit when it says `Content-Encoding: gzip` (so a small
 * bomb cannot take memory), and parsed as JSON with an error that says where
 * it broke.
 */
import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';

const gunzipAsync = promisify(gunzip);

/** A request an HTTP door refuses as a whole: the HTTP status and why. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpProblem';
  }
}

/** Reads the body, at most `maxBytes` on the wire and after decompression. */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new HttpProblem(413, `the request body is larger than ${maxBytes} bytes`);
  if (Number(request.headers['content-length'] ?? 0) > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > maxBytes) {
      request.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity') return body;
  if (encoding !== 'gzip') throw new HttpProblem(415, `content-encoding "${encoding}" is not supported: send gzip or identity`);
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new HttpProblem(413, `the request body is larger than ${maxBytes} bytes once gunzipped`);
    throw new HttpProblem(400, `the gzip body does not decompress: ${(error as Error).message}`);
  }
}

/** Parses a JSON body; a malformed one is a 400 that says where it broke. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new HttpProblem(400, `the body is not JSON: ${(error as Error).message}`);
  }
}
