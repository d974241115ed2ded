/**
 * The CLI's one way to a gateway's AdminService over gRPC with the admin
 * key: `tributary privacy`, `tributary replay` and `tributary tasks` each
 * send their calls through it, and follow what they started to its end.
 */
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { AdminServiceClient } from '../gen/tributary/admin/v1/admin_service';
import { channelCredentials, type ChannelOptions } from './channel';

/** How a command reaches the gateway. */
export interface AdminConnection {
  readonly address: string;
  readonly adminKey: string;
  readonly channel: ChannelOptions;
  /** Whether the command prints JSON rather than lines for people. */
  readonly json: boolean;
}

/** How often a command asks while what it follows runs. */
const POLL_MS = 500;

/** A unary call's callback, as grpc-js calls it. */
type Callback<T> = (error: ServiceError | null, response: T) => void;

/** An open channel: the client, and a call made with the admin key. */
export interface AdminChannel {
  readonly client: AdminServiceClient;
  /** Sends one unary call (`send` gets the metadata with the key, and the callback); resolves with its answer. */
  call<T>(send: (metadata: Metadata, callback: Callback<T>) => void): Promise<T>;
  close(): void;
}

/** Opens a channel to the gateway of `connection`. */
export function openAdmin(connection: AdminConnection): AdminChannel {
  const client = new AdminServiceClient(connection.address, channelCredentials(connection.address, connection.channel));
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${connection.adminKey}`);
  return {
    client,
    call: <T>(send: (metadata: Metadata, callback: Callback<T>) => void) =>
      new Promise<T>((resolve, reject) => send(metadata, (error, response) => (error === null ? resolve(response) : reject(error)))),
    close: () => client.close(),
  };
}

/**
 * Follows `first` (a regulation, a task) until `running` says it has ended,
 * asking for it again with `next` every half second; `onEach` sees each
 * state while it runs. Resolves with the state it ended in.
 */
export async function followToEnd<T>(first: T, running: (state: T) => boolean, next: (state: T) => Promise<T>, onEach: (state: T) => void): Promise<T> {
  let state = first;
  while (running(state)) {
    onEach(state);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    state = await next(state);
  }
  return state;
}
