/**
 * The HTTP doors of the gateway, on its HTTP endpoint beside gRPC-Web: the
 * Connect protocol's Ingest, Intempt's Track data and Consent APIs, and
 * Segment's calls. Each turns what it receives into the contract's records
 * and calls the same ingest() as gRPC; they share body limits, gzip, CORS,
 * the filling of context from the connection, and the answers (door.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RecordResult, RecordStatus, recordStatusToJSON } from '../../gen/tributary/ingest/v1/ingest_service';
import { IngestError } from '../../errors/ingest-error';
import { bearerToken } from '../auth';
import { connectIngest, CONNECT_INGEST_PATH } from './connect-door';
import { frameRecords, sendFailure, sendResults, type DoorDependencies, type MadeRecord } from './door';
import { intemptConsentRecord, intemptTrackItems } from './intempt-mapping';
import { isObject, MappingProblem, rfc3339, text, type JsonObject } from './json-fields';
import { HttpProblem, parseJson, readBody } from './request-body';
import { segmentRecord, SEGMENT_TYPES } from './segment-mapping';

const SEGMENT_PATH = new RegExp(`^/v1/(batch|${SEGMENT_TYPES.join('|')})$`);
const INTEMPT_TRACK_PATH = /^\/[^/]+\/projects\/[^/]+\/sources\/[^/]+\/track$/;
const INTEMPT_CONSENT_PATH = /^\/[^/]+\/projects\/[^/]+\/consents\/data$/;

/** The path of a request, without its query. */
const pathOf = (request: IncomingMessage): string => (request.url ?? '/').split('?')[0];

/** The user name of an `authorization: Basic …` value (Segment's write key), or undefined. */
function basicUser(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? decoded : decoded.slice(0, colon);
}

/** The key of an `authorization: ApiKey <key>` value (Intempt's older REST API), or undefined. */
const apiKeyHeader = (authorization: string | undefined): string | undefined => /^ApiKey\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];

/** One result for an Intempt item from the results of its records: rejected if any was, a duplicate if all were. */
function itemResult(records: readonly RecordResult[]): unknown {
  const status = records.some((r) => r.status === RecordStatus.REJECTED)
    ? RecordStatus.REJECTED
    : records.every((r) => r.status === RecordStatus.DUPLICATE)
      ? RecordStatus.DUPLICATE
      : RecordStatus.ACCEPTED;
  return { eventId: records[0].eventId, status: recordStatusToJSON(status), records: records.map((r) => RecordResult.toJSON(r)) };
}

/** The HTTP doors, served by the gateway's process. */
export class HttpDoors {
  constructor(private readonly deps: DoorDependencies) {}

  /** Whether the request is for one of the doors (a call or its CORS preflight). */
  matches(request: IncomingMessage): boolean {
    if (request.method !== 'POST' && request.method !== 'OPTIONS') return false;
    const path = pathOf(request);
    return path === CONNECT_INGEST_PATH || SEGMENT_PATH.test(path) || INTEMPT_TRACK_PATH.test(path) || INTEMPT_CONSENT_PATH.test(path);
  }

  /** Serves a request that {@link matches}. */
  handle(request: IncomingMessage, response: ServerResponse): void {
    if (!this.deps.cors.admit(request, response)) return;
    const path = pathOf(request);
    const served =
      path === CONNECT_INGEST_PATH
        ? connectIngest(request, response, this.deps)
        : SEGMENT_PATH.test(path)
          ? this.segment(request, response, SEGMENT_PATH.exec(path)?.[1] ?? '')
          : this.intempt(request, response, INTEMPT_TRACK_PATH.test(path));
    served.catch((failure: unknown) => sendFailure(request, response, this.deps, failure));
  }

  /** A Segment call: `/v1/batch` or one message of `/v1/<type>`. */
  private async segment(request: IncomingMessage, response: ServerResponse, type: string): Promise<void> {
    const body = await this.json(request);
    const authorization = request.headers.authorization;
    const key = basicUser(authorization) ?? bearerToken(authorization) ?? (isObject(body) ? text(body.writeKey) : undefined);
    const sourceId = this.deps.keys.sourceForKey(key, 'send the write key as the user name of HTTP Basic auth, or as writeKey in the body');
    let messages: unknown[] = [body];
    let defaults: JsonObject | undefined;
    if (type === 'batch') {
      if (!(isObject(body) && Array.isArray(body.batch))) throw new IngestError('MALFORMED_REQUEST', 'the body must be {"batch": [...]}');
      messages = body.batch;
      defaults = isObject(body.context) ? body.context : undefined;
    }
    const now = new Date();
    const made = messages.map((message) => segmentRecord(message, type === 'batch' ? undefined : type, defaults, now));
    const answer = await this.deps.ingest({ sourceId, records: frameRecords(made, this.deps, request), sentAt: isObject(body) ? rfc3339(body.sentAt) : undefined });
    sendResults(request, response, this.deps, answer);
  }

  /** Intempt's Track data (one result per payload item) or Consent. */
  private async intempt(request: IncomingMessage, response: ServerResponse, track: boolean): Promise<void> {
    const authorization = request.headers.authorization;
    const query = new URL(request.url ?? '/', 'http://door').searchParams.get('apiKey') ?? undefined;
    const sourceId = this.deps.keys.sourceForKey(query ?? bearerToken(authorization) ?? apiKeyHeader(authorization), 'send the API key as ?apiKey=<key>, or as "authorization: Bearer <key>" or "authorization: ApiKey <key>"');
    const body = await this.json(request);
    if (!track) {
      const answer = await this.deps.ingest({ sourceId, records: frameRecords([intemptConsentRecord(body)], this.deps, request), sentAt: undefined });
      return sendResults(request, response, this.deps, answer);
    }
    let items: MadeRecord[][];
    try {
      items = intemptTrackItems(body);
    } catch (error) {
      if (error instanceof MappingProblem) throw new HttpProblem(400, error.message);
      throw error;
    }
    const answer = await this.deps.ingest({ sourceId, records: frameRecords(items.flat(), this.deps, request), sentAt: undefined });
    let next = 0;
    sendResults(request, response, this.deps, answer, items.map((item) => itemResult(answer.results.slice(next, (next += item.length)))));
  }

  private async json(request: IncomingMessage): Promise<unknown> {
    return parseJson(await readBody(request, this.deps.maxBodyBytes));
  }
}
