/**
 * `tributary privacy`: regulations through a gateway's AdminService over
 * gRPC, with the admin key. `suppress`, `unsuppress`, `delete` and
 * `suppress-and-delete` create one and wait for it to end (printing its
 * progress while it runs), `list` shows every regulation, `show` one.
 */
import {
  RegulationStatus,
  RegulationType,
  Regulation,
  type CreateRegulationRequest,
  type CreateRegulationResponse,
  type GetRegulationResponse,
  type ListRegulationsResponse,
  type Subject,
} from '../gen/tributary/admin/v1/admin_service';
import { followToEnd, openAdmin, type AdminConnection } from './admin-channel';

/** The subjects and scope of a regulation, as the flags give them. */
export interface RegulationFlags {
  readonly userId: string[];
  readonly profileId: string[];
  readonly email: string[];
  readonly source: string[];
  readonly expand: boolean;
}

/** The CLI's names of the types. */
export const REGULATION_COMMANDS = {
  suppress: RegulationType.SUPPRESS,
  unsuppress: RegulationType.UNSUPPRESS,
  delete: RegulationType.DELETE,
  'suppress-and-delete': RegulationType.SUPPRESS_WITH_DELETE,
} as const;

/** The three calls, with the admin key. */
interface AdminCalls {
  create(request: CreateRegulationRequest): Promise<CreateRegulationResponse>;
  get(id: string): Promise<GetRegulationResponse>;
  list(): Promise<ListRegulationsResponse>;
  close(): void;
}

function adminCalls(connection: AdminConnection): AdminCalls {
  const admin = openAdmin(connection);
  return {
    create: (request) => admin.call((metadata, callback) => admin.client.createRegulation(request, metadata, callback)),
    get: (id) => admin.call((metadata, callback) => admin.client.getRegulation({ id }, metadata, callback)),
    list: () => admin.call((metadata, callback) => admin.client.listRegulations({}, metadata, callback)),
    close: () => admin.close(),
  };
}

/** One line (or, with --json, one JSON object) of a regulation. */
export function describeRegulation(regulation: Regulation, json: boolean): string {
  if (json) return JSON.stringify(Regulation.toJSON(regulation));
  const erased = regulation.erased;
  const counts =
    erased === undefined
      ? ''
      : `  erased: ${[...erased.rowsDeleted.map((t) => `${t.table} ${t.rows}`), `stream messages ${erased.streamMessagesErased}`, `dead letters ${erased.deadLettersRemoved}`].join(', ')}`;
  const scope = regulation.sourceIds.length === 0 ? 'every source' : regulation.sourceIds.join(',');
  const status = RegulationStatus[regulation.status];
  const detail = regulation.status === RegulationStatus.FAILED ? `  error: ${regulation.error}` : regulation.status === RegulationStatus.RUNNING ? `  (${regulation.progress})` : '';
  return `${regulation.id}  ${RegulationType[regulation.type]}  ${status}  ${regulation.subjectCount} subject(s), ${regulation.coveredIdCount} id(s) covered, ${scope}${counts}${detail}`;
}

/** Creates a regulation of `type` and waits for it to end; returns the exit code (1 when it failed). */
export async function createRegulation(type: RegulationType, flags: RegulationFlags, connection: AdminConnection): Promise<number> {
  const subjects: Subject[] = [
    ...flags.userId.map((value): Subject => ({ id: { $case: 'userId', value } })),
    ...flags.profileId.map((value): Subject => ({ id: { $case: 'profileId', value } })),
    ...flags.email.map((value): Subject => ({ id: { $case: 'email', value } })),
  ];
  const calls = adminCalls(connection);
  try {
    const answered = (regulation: Regulation | undefined): Regulation => {
      if (regulation === undefined) throw new Error('the gateway answered without a regulation');
      return regulation;
    };
    let said = '';
    const regulation = await followToEnd(
      answered((await calls.create({ type, subjects, sourceIds: flags.source, expandIdentity: flags.expand })).regulation),
      (r) => r.status === RegulationStatus.RUNNING,
      async (r) => answered((await calls.get(r.id)).regulation),
      (r) => {
        if (!connection.json && r.progress !== said) console.error(`… ${(said = r.progress)}`);
      },
    );
    console.log(describeRegulation(regulation, connection.json));
    return regulation.status === RegulationStatus.FINISHED ? 0 : 1;
  } finally {
    calls.close();
  }
}

/** Prints every regulation, or the one `id` names. */
export async function showRegulations(id: string | undefined, connection: AdminConnection): Promise<void> {
  const calls = adminCalls(connection);
  try {
    const regulations = id === undefined ? (await calls.list()).regulations : [(await calls.get(id)).regulation];
    for (const regulation of regulations) if (regulation !== undefined) console.log(describeRegulation(regulation, connection.json));
  } finally {
    calls.close();
  }
}
