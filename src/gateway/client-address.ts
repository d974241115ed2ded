/**
 * Who a call's client is, for the throttle of failed authentications and for
 * a record's context: the TCP peer, or, when the peer is a trusted proxy, the
 * right-most address of X-Forwarded-For that is not itself a trusted proxy.
 * A gRPC call made by this process's gRPC-Web bridge carries the browser's
 * TCP peer in a header of the bridge's own, believed only beside a token that
 * only this process knows: any other gRPC caller could set the header.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';

/** The header with this process's bridge token, and the one with the browser's TCP peer. */
const BRIDGE_TOKEN_HEADER = 'x-tributary-bridge';
const BRIDGE_PEER_HEADER = 'x-tributary-bridge-peer';

/** The token of this process's bridge: random, never sent beyond the process's own gRPC server. */
const BRIDGE_TOKEN = randomBytes(16).toString('hex');

/** An address as the socket gives it, an IPv4 address mapped into IPv6 made plain. */
const plainIp = (address: string): string => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');

/** The client behind `peer`: the peer itself, or with a trusted proxy as the peer, the right-most address of `forwardedFor` that is not a trusted proxy. */
export function clientAddress(peer: string, forwardedFor: string | readonly string[] | undefined, trustedProxies: readonly string[]): string {
  let ip = plainIp(peer);
  if (forwardedFor !== undefined && trustedProxies.includes(ip)) {
    const hops = (typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(','))
      .split(',')
      .map((hop) => plainIp(hop.trim()))
      .filter((hop) => hop !== '');
    while (hops.length > 0) {
      ip = hops.pop() as string;
      if (!trustedProxies.includes(ip)) break;
    }
  }
  return ip;
}

/** The headers with which the bridge passes a browser's TCP peer to the gRPC server. */
export const bridgePeerHeaders = (peer: string | undefined): { [name: string]: string } => ({ [BRIDGE_TOKEN_HEADER]: BRIDGE_TOKEN, [BRIDGE_PEER_HEADER]: peer ?? '' });

/** Whether `token` is this process's bridge token. */
function fromBridge(token: unknown): boolean {
  if (typeof token !== 'string' || token.length !== BRIDGE_TOKEN.length) return false;
  return timingSafeEqual(Buffer.from(token), Buffer.from(BRIDGE_TOKEN));
}

/** Whether this process's gRPC-Web bridge made the call that carries `metadata`. */
export const bridged = (metadata: Metadata): boolean => fromBridge(metadata.get(BRIDGE_TOKEN_HEADER)[0]);

/**
 * The client of a gRPC call whose connection's peer is `socketPeer`: behind
 * the browser's peer when this process's bridge made the call, else behind
 * the call's own peer; X-Forwarded-For as for HTTP.
 */
export function callClientAddress(metadata: Metadata, socketPeer: string | undefined, trustedProxies: readonly string[]): string {
  const [bridgedPeer] = metadata.get(BRIDGE_PEER_HEADER);
  const peer = fromBridge(metadata.get(BRIDGE_TOKEN_HEADER)[0]) && typeof bridgedPeer === 'string' ? bridgedPeer : (socketPeer ?? '');
  return clientAddress(peer, metadata.get('x-forwarded-for').map(String), trustedProxies);
}
