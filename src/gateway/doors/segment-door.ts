/**
 * Segment's calls: `/v1/batch` and one message of `/v1/<type>`, with the
 * write key as HTTP Basic's user name or a bearer token, checked before any
 * of the body is read. Segment also lets the key ride in the body
 * (`writeKey`, as analytics.js sends it): that key is read only when the
 * request has no authorization header, and only from an uncompressed body of
 * at most WRITE_KEY_BODY_BYTES, parsed within the depth bound; anything else
 * is a missing key. A failure to find a good key there counts against the
 * client's address as any failed authentication does (docs/http.md).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IngestError } from '../../errors/ingest-error';
import { bearerToken } from '../auth';
import { authenticate, doorPeer, frameRecords, sendResults, type DoorDependencies } from './door';
import { isObject, rfc3339, text, type JsonObject } from './json-fields';
import { contentEncoding, parseJson, readBody } from './request-body';
import { segmentRecord } from './segment-mapping';

/** The largest body read, before authentication, for a `writeKey` in it. */
const WRITE_KEY_BODY_BYTES = 64 * 1024;

const HINT = `send the write key as the user name of HTTP Basic auth, or as "authorization: Bearer <key>"; a writeKey in the body is read only from a request without an authorization header, and an uncompressed body of at most ${WRITE_KEY_BODY_BYTES} bytes`;

/** The user name of an `authorization: Basic …` value (Segment's write key), or undefined. */
function basicUser(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? decoded : decoded.slice(0, colon);
}

/** The small uncompressed body that may carry a `writeKey`, parsed; undefined when the body is not one. */
async function writeKeyBody(request: IncomingMessage): Promise<unknown> {
  if (contentEncoding(request) !== 'identity') return undefined;
  try {
    return parseJson(await readBody(request, WRITE_KEY_BODY_BYTES));
  } catch (error) {
    if (error instanceof IngestError && error.reason === 'REQUEST_TOO_LARGE') return undefined;
    throw error;
  }
}

/** The source of the request's write key, and its body: read after authentication, or before it for a key in the body. */
async function authenticated(request: IncomingMessage, response: ServerResponse, deps: DoorDependencies): Promise<{ sourceId: string; body: unknown }> {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const sourceId = await authenticate(request, response, deps, () => basicUser(authorization) ?? bearerToken(authorization), HINT);
    return { sourceId, body: parseJson(await readBody(request, deps.maxBodyBytes)) };
  }
  let body: unknown;
  const sourceId = await authenticate(
    request,
    response,
    deps,
    async () => {
      body = await writeKeyBody(request);
      return isObject(body) ? text(body.writeKey) : undefined;
    },
    HINT,
  );
  return { sourceId, body };
}

/** Serves a Segment call of `type` (`batch`, or one of SEGMENT_TYPES). */
export async function segmentCall(request: IncomingMessage, response: ServerResponse, deps: DoorDependencies, type: string): Promise<void> {
  const { sourceId, body } = await authenticated(request, response, deps);
  let messages: unknown[] = [body];
  let defaults: JsonObject | undefined;
  if (type === 'batch') {
    if (!(isObject(body) && Array.isArray(body.batch))) throw new IngestError('MALFORMED_REQUEST', 'the body must be {"batch": [...]}');
    messages = body.batch;
    defaults = isObject(body.context) ? body.context : undefined;
  }
  const now = new Date();
  const made = messages.map((message) => segmentRecord(message, type === 'batch' ? undefined : type, defaults, now));
  const answer = await deps.ingest({ sourceId, records: frameRecords(made, deps, request), sentAt: isObject(body) ? rfc3339(body.sentAt) : undefined, peer: doorPeer('segment', request, deps) });
  sendResults(request, response, deps, answer);
}
