/**
 * How a NATS connection is opened: the client library's own connect, with
 * its Node transport made to close what it opened. The library destroys a
 * transport's socket only once that transport has connected, so a socket
 * still dialing when its attempt timed out, or when the connection was
 * closed, stayed open until the server ended it: minutes later over a slow
 * link, never for a server that takes connections and does not answer. It
 * kept a stopped gateway's process alive (docs/faults.md, "Stopping over a
 * slow link"). Here closing a transport that has not connected discards it,
 * socket and all.
 */
import { NatsConnectionImpl, setTransportFactory } from '@nats-io/nats-core/internal';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { NodeTransport, nodeResolveHost } from '@nats-io/transport-node/lib/node_transport';

/** A Node transport whose close also ends a dial in progress. */
class ClosingTransport extends NodeTransport {
  override close(err?: Error): Promise<void> {
    if (this.connected) return super.close(err);
    this.discard();
    return Promise.resolve();
  }
}

/** Connects with `options`, as the library's `connect` does, over transports that close what they opened. */
export function connectNats(options: NodeConnectionOptions): Promise<NatsConnection> {
  setTransportFactory({ factory: () => new ClosingTransport(), dnsResolveFn: nodeResolveHost });
  return NatsConnectionImpl.connect(options);
}
