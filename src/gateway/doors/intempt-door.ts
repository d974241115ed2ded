/**
 * Intempt's Track data and Consent APIs, with the key as `?apiKey=<key>`,
 * `authorization: Bearer <key>` or `authorization: ApiKey <key>`, checked
 * before any of the body is read. Track data answers one result per payload
 * item, made from the results of its records.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RecordResult, RecordStatus, recordStatusToJSON } from '../../gen/tributary/ingest/v1/ingest_service';
import { bearerToken } from '../auth';
import { authenticate, doorPeer, frameRecords, sendResults, type DoorDependencies } from './door';
import { intemptConsentRecord, intemptTrackItems } from './intempt-mapping';
import { parseJson, readBody } from './request-body';

const HINT = 'send the API key as ?apiKey=<key>, or as "authorization: Bearer <key>" or "authorization: ApiKey <key>"';

/** The key of an `authorization: ApiKey <key>` value (Intempt's older REST API), or undefined. */
const apiKeyHeader = (authorization: string | undefined): string | undefined => /^ApiKey\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];

/** One result for an Intempt item from the results of its records: rejected if any was, a duplicate or dropped if all were. */
function itemResult(records: readonly RecordResult[]): unknown {
  const all = (status: RecordStatus) => records.every((r) => r.status === status);
  const status = records.some((r) => r.status === RecordStatus.REJECTED)
    ? RecordStatus.REJECTED
    : all(RecordStatus.DUPLICATE)
      ? RecordStatus.DUPLICATE
      : all(RecordStatus.DROPPED)
        ? RecordStatus.DROPPED
        : RecordStatus.ACCEPTED;
  return { eventId: records[0].eventId, status: recordStatusToJSON(status), records: records.map((r) => RecordResult.toJSON(r)) };
}

/** Serves Intempt's Track data (`track`) or Consent. */
export async function intemptCall(request: IncomingMessage, response: ServerResponse, deps: DoorDependencies, track: boolean): Promise<void> {
  const authorization = request.headers.authorization;
  const query = new URL(request.url ?? '/', 'http://door').searchParams.get('apiKey') ?? undefined;
  const sourceId = await authenticate(request, response, deps, () => query ?? bearerToken(authorization) ?? apiKeyHeader(authorization), HINT);
  const body = parseJson(await readBody(request, deps.maxBodyBytes));
  if (!track) {
    const answer = await deps.ingest({ sourceId, records: frameRecords([intemptConsentRecord(body)], deps, request), sentAt: undefined, peer: doorPeer('intempt', request, deps) });
    return sendResults(request, response, deps, answer);
  }
  const items = intemptTrackItems(body);
  const answer = await deps.ingest({ sourceId, records: frameRecords(items.flat(), deps, request), sentAt: undefined, peer: doorPeer('intempt', request, deps) });
  let next = 0;
  sendResults(
    request,
    response,
    deps,
    answer,
    items.map((item) => itemResult(answer.results.slice(next, (next += item.length)))),
  );
}
