/**
 * AdminService's methods, once for every transport: each method's Connect
 * name, its messages' codecs and what it runs. The gRPC service and the
 * Connect route are both made from this table, so they cannot differ.
 */
import { IngestError } from '../errors/ingest-error';
import {
  CancelTaskRequest,
  CancelTaskResponse,
  CreateRegulationRequest,
  CreateRegulationResponse,
  GetRegulationRequest,
  GetRegulationResponse,
  GetTaskRequest,
  GetTaskResponse,
  ListRegulationsRequest,
  ListRegulationsResponse,
  ListTasksRequest,
  ListTasksResponse,
  RedriveDeadLettersRequest,
  RedriveDeadLettersResponse,
  StartReplayRequest,
  StartReplayResponse,
  type MessageFns,
} from '../gen/tributary/admin/v1/admin_service';
import type { RegulationsApi } from './regulations-api';
import type { TasksApi } from './tasks-api';

/** What the methods run on. */
export interface AdminApis {
  readonly regulations: RegulationsApi;
  readonly tasks: TasksApi;
}

/** One method of AdminService. */
export interface AdminMethod<Request, Response> {
  /** Its name in paths: `/tributary.admin.v1.AdminService/<name>`. */
  readonly name: string;
  /** Its name in ts-proto's generated service definition. */
  readonly key: 'createRegulation' | 'getRegulation' | 'listRegulations' | 'startReplay' | 'getTask' | 'listTasks' | 'cancelTask' | 'redriveDeadLetters';
  readonly request: MessageFns<Request>;
  readonly response: MessageFns<Response>;
  readonly run: (apis: AdminApis, request: Request) => Promise<Response>;
}

/** The service's path prefix. */
export const ADMIN_SERVICE_PATH = '/tributary.admin.v1.AdminService/';

const method = <Request, Response>(m: AdminMethod<Request, Response>): AdminMethod<unknown, unknown> => m as unknown as AdminMethod<unknown, unknown>;

/** Every method. */
export const ADMIN_METHODS: readonly AdminMethod<unknown, unknown>[] = [
  method({ name: 'CreateRegulation', key: 'createRegulation', request: CreateRegulationRequest, response: CreateRegulationResponse, run: (apis, r) => apis.regulations.create(r) }),
  method({ name: 'GetRegulation', key: 'getRegulation', request: GetRegulationRequest, response: GetRegulationResponse, run: (apis, r) => apis.regulations.get(r) }),
  method({ name: 'ListRegulations', key: 'listRegulations', request: ListRegulationsRequest, response: ListRegulationsResponse, run: (apis) => apis.regulations.list() }),
  method({ name: 'StartReplay', key: 'startReplay', request: StartReplayRequest, response: StartReplayResponse, run: (apis, r) => apis.tasks.startReplay(r) }),
  method({ name: 'GetTask', key: 'getTask', request: GetTaskRequest, response: GetTaskResponse, run: (apis, r) => apis.tasks.get(r) }),
  method({ name: 'ListTasks', key: 'listTasks', request: ListTasksRequest, response: ListTasksResponse, run: (apis) => apis.tasks.list() }),
  method({ name: 'CancelTask', key: 'cancelTask', request: CancelTaskRequest, response: CancelTaskResponse, run: (apis, r) => apis.tasks.cancel(r) }),
  method({ name: 'RedriveDeadLetters', key: 'redriveDeadLetters', request: RedriveDeadLettersRequest, response: RedriveDeadLettersResponse, run: (apis, r) => apis.tasks.startRedrive(r) }),
];

/** Decodes a request with `decode`, a message that is not one being MALFORMED_REQUEST. */
export function decodeAdminRequest<T>(decode: () => T, what: string): T {
  try {
    return decode();
  } catch (error) {
    throw new IngestError('MALFORMED_REQUEST', `the body is not a ${what}: ${(error as Error).message}`);
  }
}
