/**
 * The Connect protocol's unary form of Ingest:
 * `POST /tributary.ingest.v1.IngestService/Ingest` with a proto3 JSON
 * (`application/json`) or binary (`application/proto`) IngestRequest and
 * `authorization: Bearer <key>`. It answers 200 with the IngestResponse in
 * the same encoding, or with a Connect error: `{code, message, details}`,
 * the details being the google.rpc messages gRPC callers get in
 * grpc-status-details-bin, and the HTTP status Connect gives the code.
 * The binary form reads records as gRPC does (their bytes go on unchanged);
 * the JSON form encodes each record as a gRPC client would. The key is
 * checked before any of the body is read.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Reason } from '../../contract';
import { toRpcStatus } from '../../errors/grpc-status';
import { IngestError } from '../../errors/ingest-error';
import { IngestResponse } from '../../gen/tributary/ingest/v1/ingest_service';
import { Record } from '../../gen/tributary/ingest/v1/record';
import { BEARER_HINT, bearerToken } from '../auth';
import { connectCode, httpStatusOf } from '../../errors/http-status';
import { ingestFrame, violation, type MadeRecord } from '../framing';
import { readRequestFrame } from '../request-frame';
import { answerHeaders, authenticate, doorPeer, frameRecords, sendJson, type DoorDependencies } from './door';
import { isObject, rfc3339 } from './json-fields';
import { parseJson, readBody } from './request-body';

/** The path of the Connect door. */
export const CONNECT_INGEST_PATH = '/tributary.ingest.v1.IngestService/Ingest';

/** The records of a JSON IngestRequest, each made on its own so that one that is not a Record is rejected alone. */
function jsonRecords(body: unknown): { made: MadeRecord[]; sentAt: Date | undefined } {
  if (!isObject(body)) throw new IngestError('MALFORMED_REQUEST', 'the body must be a JSON object: an IngestRequest');
  const records = body.records ?? [];
  if (!Array.isArray(records)) throw new IngestError('MALFORMED_REQUEST', 'records must be a JSON array');
  const made = records.map((item: unknown): MadeRecord => {
    if (!isObject(item)) return { violation: violation('', Reason.UNDECODABLE, 'The record is not a JSON object.'), eventId: '' };
    try {
      return { record: Record.fromJSON(item) };
    } catch (error) {
      return { violation: violation('', Reason.UNDECODABLE, `The record is not a Record: ${(error as Error).message}.`), eventId: String(item.eventId ?? item.event_id ?? '') };
    }
  });
  return { made, sentAt: rfc3339(body.sentAt ?? body.sent_at) };
}

/** The Connect error body of a failure. */
export function connectError(error: IngestError): unknown {
  const status = toRpcStatus(error);
  const details = status.details.map((any) => ({ type: any.typeUrl.slice(any.typeUrl.lastIndexOf('/') + 1), value: Buffer.from(any.value).toString('base64').replace(/=+$/, '') }));
  return { code: connectCode(error.code), message: error.message, details };
}

/** Whether a Connect call's body is binary (application/proto) rather than JSON; throws UNSUPPORTED_MEDIA_TYPE for any other type. */
export function connectBinary(request: IncomingMessage): boolean {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== 'application/proto' && contentType !== 'application/json') {
    throw new IngestError('UNSUPPORTED_MEDIA_TYPE', `content-type "${contentType}" is not supported: send application/json or application/proto`);
  }
  return contentType === 'application/proto';
}

/** Serves one Connect call. */
export async function connectIngest(request: IncomingMessage, response: ServerResponse, deps: DoorDependencies): Promise<void> {
  try {
    const sourceId = await authenticate(request, response, deps, () => bearerToken(request.headers.authorization), BEARER_HINT);
    const binary = connectBinary(request);
    const body = await readBody(request, deps.maxBodyBytes);
    let answer: IngestResponse;
    if (binary) {
      const frame = readRequestFrame(body, deps.maxRequestBytes, deps.limits);
      answer = await ingestFrame(deps.ingest, sourceId, frame, deps.maxRequestBytes, deps.limits, undefined, doorPeer('connect', request, deps));
      response.writeHead(200, answerHeaders(request, deps, 'application/proto')).end(IngestResponse.encode(answer).finish());
      return;
    }
    const { made, sentAt } = jsonRecords(parseJson(body));
    answer = await deps.ingest({ sourceId, records: frameRecords(made, deps, request), sentAt, peer: doorPeer('connect', request, deps) });
    sendJson(response, 200, answerHeaders(request, deps), IngestResponse.toJSON(answer));
  } catch (failure) {
    // Anything but an IngestError is a fault of ours: the endpoint's guard logs it with a request id and answers 500.
    if (!(failure instanceof IngestError)) throw failure;
    sendJson(response, httpStatusOf(failure), answerHeaders(request, deps, 'application/json', failure), connectError(failure));
  }
}
