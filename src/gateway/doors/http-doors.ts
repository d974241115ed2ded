/**
 * The HTTP doors of the gateway, on its HTTP endpoint beside gRPC-Web: the
 * Connect protocol's Ingest, Intempt's Track data and Consent APIs, and
 * Segment's calls (and, for the admin key, AdminService as Connect). Each checks the key before reading the body, turns what it
 * receives into the contract's records and calls the same ingest() as gRPC;
 * they share authentication, body limits, gzip, CORS, the filling of context
 * from the connection, and the answers (door.ts). This file routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IngestError } from '../../errors/ingest-error';
import type { AdminApis } from '../../admin/admin-methods';
import { adminMethodOf, connectAdmin } from './admin-door';
import { connectIngest, CONNECT_INGEST_PATH } from './connect-door';
import { sendFailure, type DoorDependencies } from './door';
import { intemptCall } from './intempt-door';
import { segmentCall } from './segment-door';
import { SEGMENT_TYPES } from './segment-mapping';

const SEGMENT_PATH = new RegExp(`^/v1/(batch|${SEGMENT_TYPES.join('|')})$`);
const INTEMPT_TRACK_PATH = /^\/[^/]+\/projects\/[^/]+\/sources\/[^/]+\/track$/;
const INTEMPT_CONSENT_PATH = /^\/[^/]+\/projects\/[^/]+\/consents\/data$/;

/** The path of a request, without its query. */
const pathOf = (request: IncomingMessage): string => (request.url ?? '/').split('?')[0];

/** The HTTP doors, served by the gateway's process. */
export class HttpDoors {
  constructor(
    private readonly deps: DoorDependencies,
    /** AdminService (regulations and tasks), served as Connect beside the doors. */
    private readonly admin?: AdminApis,
  ) {}

  /** Whether the request is for one of the doors (a call or its CORS preflight). */
  matches(request: IncomingMessage): boolean {
    if (request.method !== 'POST' && request.method !== 'OPTIONS') return false;
    const path = pathOf(request);
    if (this.admin !== undefined && adminMethodOf(path) !== undefined) return true;
    return path === CONNECT_INGEST_PATH || SEGMENT_PATH.test(path) || INTEMPT_TRACK_PATH.test(path) || INTEMPT_CONSENT_PATH.test(path);
  }

  /** Serves a request that {@link matches}; settles once it is answered (a failure to answer rejects, for the endpoint's guard). */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = pathOf(request);
    const admin = this.admin !== undefined && adminMethodOf(path) !== undefined;
    // CORS is the ingest doors' (pages send records); the admin API admits no page.
    if (!admin && !this.deps.cors.admit(request, response)) return;
    const segment = SEGMENT_PATH.exec(path);
    const served =
      admin && this.admin !== undefined
        ? connectAdmin(request, response, this.deps, this.admin, path)
        : path === CONNECT_INGEST_PATH
          ? connectIngest(request, response, this.deps)
          : segment !== null
            ? segmentCall(request, response, this.deps, segment[1])
            : intemptCall(request, response, this.deps, INTEMPT_TRACK_PATH.test(path));
    await served.catch((failure: unknown) => {
      // Anything but an IngestError is a fault of ours: the endpoint's guard logs it with a request id and answers 500.
      if (!(failure instanceof IngestError)) throw failure;
      sendFailure(request, response, this.deps, failure);
    });
  }
}
