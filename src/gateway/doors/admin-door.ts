/**
 * AdminService over the Connect protocol, on the gateway's HTTP endpoint:
 * `POST /tributary.admin.v1.AdminService/<Method>` with a proto3 JSON
 * (`application/json`) or binary (`application/proto`) request and
 * `authorization: Bearer <admin key>`, checked before the body is read. It
 * answers 200 with the response in the same encoding, or a Connect error,
 * and never with CORS headers (plainHeaders): the admin API is not for pages.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ADMIN_METHODS, ADMIN_SERVICE_PATH, decodeAdminRequest, type AdminApis } from '../../admin/admin-methods';
import { httpStatusOf } from '../../errors/http-status';
import { IngestError } from '../../errors/ingest-error';
import { bearerToken } from '../auth';
import { connectionOf } from '../connection';
import { connectBinary, connectError } from './connect-door';
import { beforeBody, plainHeaders, sendJson, type DoorDependencies } from './door';
import { parseJson, readBody } from './request-body';

/** The admin method a path names, or undefined. */
export const adminMethodOf = (path: string) => (path.startsWith(ADMIN_SERVICE_PATH) ? ADMIN_METHODS.find((m) => ADMIN_SERVICE_PATH + m.name === path) : undefined);

/** Serves one Connect call of AdminService at `path` (a path {@link adminMethodOf} knows). */
export async function connectAdmin(request: IncomingMessage, response: ServerResponse, deps: DoorDependencies, apis: AdminApis, path: string): Promise<void> {
  const method = adminMethodOf(path)!;
  try {
    await beforeBody(request, response, () => deps.gate.authenticateAdmin(connectionOf(request, deps.trustedProxies).ip, () => bearerToken(request.headers.authorization)));
    const binary = connectBinary(request);
    const body = await readBody(request, deps.maxBodyBytes);
    const what = `${method.name}Request`;
    const message = binary ? decodeAdminRequest(() => method.request.decode(body), what) : decodeAdminRequest(() => method.request.fromJSON(parseJson(body)), what);
    const answer = await method.run(apis, message);
    if (binary) response.writeHead(200, plainHeaders('application/proto')).end(method.response.encode(answer).finish());
    else sendJson(response, 200, plainHeaders('application/json'), method.response.toJSON(answer));
  } catch (failure) {
    if (!(failure instanceof IngestError)) throw failure;
    sendJson(response, httpStatusOf(failure), plainHeaders('application/json', failure), connectError(failure));
  }
}
