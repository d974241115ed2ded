/**
 * The NATS connection and its state: connects with unlimited reconnects, and
 * tells its listeners when the server goes away ("down") and comes back
 * ("up"), so that health, publishing and stream set-up can follow it. Each
 * role's replies (PubAcks, API answers, the records a pull delivers) come to
 * inboxes under a prefix of its own, `_INBOX.<role>`, so that a role's NATS
 * user may be allowed to read only its own (deploy/nats/roles.conf).
 */
import { EventEmitter } from 'node:events';
import type { NatsConnectionImpl } from '@nats-io/nats-core/internal';
import { createInbox, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { connectNats } from './closing-transport';
import type { NatsAccess } from './nats-access';

/** How long a drain may take before the connection is closed without it. */
const DRAIN_TIMEOUT_MS = 5_000;
/**
 * Pings: every 2 s, and the connection is stale when two go unanswered, so a
 * server cut off silently is noticed within about 6 s (the cluster elects a
 * new leader in about 5 s).
 */
const PING_INTERVAL_MS = 2_000;
const MAX_PINGS_OUT = 2;
/** How long one attempt to connect to a server may take, so that a server cut off costs little before the next is tried. */
const CONNECT_TIMEOUT_MS = 2_000;

/** Events of a {@link NatsLink}: "down" when the connection is lost, "up" when it is back. */
export interface NatsLinkEvents {
  down: [];
  up: [];
}

/** A NATS connection that knows whether it is up. */
export class NatsLink extends EventEmitter<NatsLinkEvents> {
  private up = true;

  private constructor(
    readonly nc: NatsConnection,
    /** The prefix of every inbox this connection's replies come to. */
    readonly inboxPrefix: string,
    private readonly logger: Logger,
  ) {
    super();
  }

  /**
   * Connects `role` (gateway, sink, identity) to `servers` (comma-separated URLs) with `access` (credentials, TLS),
   * its inboxes under `_INBOX.<role>`; fails when the first connection cannot be made.
   */
  static async open(servers: string, role: string, logger: Logger, access: NatsAccess = {}): Promise<NatsLink> {
    const inboxPrefix = `_INBOX.${role}`;
    const nc = await connectNats({
      ...access,
      servers: servers.split(',').map((s) => s.trim()),
      name: `tributary-${role}`,
      inboxPrefix,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      pingInterval: PING_INTERVAL_MS,
      maxPingOut: MAX_PINGS_OUT,
      timeout: CONNECT_TIMEOUT_MS,
    });
    const link = new NatsLink(nc, inboxPrefix, logger);
    void link.follow();
    return link;
  }

  /** A new inbox subject, under this role's prefix. */
  createInbox(): string {
    return createInbox(this.inboxPrefix);
  }

  /** Whether the connection is up now. */
  get connected(): boolean {
    return this.up && !this.nc.isClosed();
  }

  /**
   * Stops taking new messages, waits for those in flight, and closes; closes
   * without waiting after `timeoutMs`, or when the drain fails, since a
   * drain waits forever for a server that is gone and a connection left open
   * keeps reconnecting (and the process alive). A dial in progress ends
   * with it (closing-transport.ts).
   */
  async drain(timeoutMs = DRAIN_TIMEOUT_MS): Promise<void> {
    if (this.nc.isClosed()) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    // A drain that fails, or is cut short by close(), ends the same way: closed.
    const draining = this.nc.drain().catch(() => undefined);
    try {
      await Promise.race([draining, late]);
    } finally {
      clearTimeout(timer);
      if (!this.nc.isClosed()) await this.nc.close();
    }
  }

  /**
   * Drops a connection whose server stopped answering pings. The client
   * library's own reaction closes the socket only after flushing what is
   * queued on it, and on a link that drops packets silently that flush never
   * ends: the connection stayed "up", every publish waited, and no other
   * server was tried until the link healed or the kernel gave up on the
   * socket (minutes). Closing the transport with an error skips the flush,
   * so the client reconnects to a server it can reach at once.
   */
  private dropStale(): void {
    this.logger.warn({ server: this.nc.getServer() }, 'NATS server stopped answering pings; moving to another');
    try {
      (this.nc as NatsConnectionImpl).protocol.transport.close(new Error('stale connection: the server stopped answering pings')).catch(() => undefined);
    } catch (error) {
      // The library's inside changed shape: the connection recovers as the library alone would (once the link heals).
      this.logger.error({ err: error }, 'could not drop the stale NATS connection');
    }
  }

  private async follow(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'staleConnection') this.dropStale();
      else if (status.type === 'disconnect' && this.up) {
        this.up = false;
        this.logger.warn({ server: status.server }, 'NATS connection lost');
        this.emit('down');
      } else if (status.type === 'reconnect' && !this.up) {
        this.up = true;
        this.logger.info({ server: status.server }, 'NATS connection back');
        this.emit('up');
      }
    }
  }
}
