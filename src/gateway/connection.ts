/**
 * What the connection knows about a producer: its IP address (from
 * X-Forwarded-For only when the peer is a trusted proxy) and its User-Agent,
 * put into a record's context when the record does not carry them, as
 * Segment's and PostHog's HTTP APIs do. The gRPC-Web bridge passes them to
 * the gRPC server in headers of its own, which it strips from what browsers send.
 */
import type { IncomingMessage } from 'node:http';
import type { Metadata } from '@grpc/grpc-js';
import { Context, type Record } from '../gen/tributary/ingest/v1/record';
import { clientAddress } from './client-address';

/** The producer as its connection shows it. */
export interface Connection {
  readonly ip: string;
  readonly userAgent: string;
}

/** The headers in which the gRPC-Web bridge passes the connection to the gRPC server. */
export const PEER_IP_HEADER = 'x-tributary-peer-ip';
export const PEER_USER_AGENT_HEADER = 'x-tributary-peer-user-agent';

/** The connection as the bridge's headers. */
export const connectionHeaders = (connection: Connection): { [name: string]: string } => ({ [PEER_IP_HEADER]: connection.ip, [PEER_USER_AGENT_HEADER]: connection.userAgent });

/** The connection the bridge passed in a call's metadata, if it did. */
export function connectionFromMetadata(metadata: Metadata): Connection | undefined {
  const [ip] = metadata.get(PEER_IP_HEADER);
  if (typeof ip !== 'string') return undefined;
  const [userAgent] = metadata.get(PEER_USER_AGENT_HEADER);
  return { ip, userAgent: typeof userAgent === 'string' ? userAgent : '' };
}

/**
 * The connection of `request`. With a trusted proxy as the peer, the client
 * is the right-most address of X-Forwarded-For that is not itself a trusted proxy.
 */
export function connectionOf(request: IncomingMessage, trustedProxies: readonly string[]): Connection {
  return { ip: clientAddress(request.socket.remoteAddress ?? '', request.headers['x-forwarded-for'], trustedProxies), userAgent: request.headers['user-agent'] ?? '' };
}

/** `record` with context.ip and context.user_agent filled from `connection` where it has none; product records have no context. */
export function withConnection(record: Record, connection: Connection): Record {
  if (record.kind?.$case !== 'event') return record;
  const event = record.kind.value;
  const context = event.context ?? Context.fromPartial({});
  if (context.ip !== '' && context.userAgent !== '') return record;
  const filled = { ...context, ip: context.ip || connection.ip, userAgent: context.userAgent || connection.userAgent };
  return { ...record, kind: { $case: 'event', value: { ...event, context: filled } } };
}
