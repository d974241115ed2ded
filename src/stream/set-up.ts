/**
 * NATS set-up that waits: connecting, and the JetStream objects a stage
 * needs (the stream, its consumers), retried through the process's
 * {@link StartWaits} until they succeed. Only permanent failures end a start
 * early; everything else is waited out: a server that is down or restarting,
 * JetStream not enabled yet, a cluster still electing its leaders or
 * gathering the peers a replicated stream needs.
 */
import { jetstreamManager, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { StartWaits } from '../lifecycle/start-waits';
import { natsServers } from '../config/load';
import type { Config } from '../config/settings';
import { NatsLink } from './connection';
import { natsAccess } from './nats-access';

/** Errors of the NATS client that refuse who we are or what we asked for, by name. */
const REFUSALS = new Set(['AuthorizationError', 'PermissionViolationError', 'UserAuthenticationExpiredError', 'InvalidNameError']);
/** "no suitable peers for placement": a cluster that has not yet seen enough peers for the replicas. */
const NO_PEERS_YET = 10005;
/** "replicas > 1 not supported in non-clustered mode": a replicated stream asked of a single server. */
const REPLICAS_WITHOUT_CLUSTER = 10074;

/** Whether a NATS set-up failure will not go away by waiting: refused credentials or permissions, or a definition the server refuses. */
export function permanentNatsFailure(error: unknown): boolean {
  // A request the server refused to carry is a RequestError whose cause is the refusal.
  if (error instanceof Error && (REFUSALS.has(error.name) || (error.cause instanceof Error && REFUSALS.has(error.cause.name)))) return true;
  if (!(error instanceof JetStreamApiError)) return false;
  if (error.code === REPLICAS_WITHOUT_CLUSTER) return true;
  return error.status === 400 && error.code !== NO_PEERS_YET;
}

/** Server URLs as logs and readiness may show them: without user names or passwords. */
export const withoutCredentials = (urls: string): string => urls.replace(/\/\/[^/,]*@/g, '//');

/** Connects `part` to the configured NATS with the configured credentials and TLS, waiting while NATS cannot be reached. */
export function openNatsLink(waits: StartWaits, part: string, config: Config, logger: Logger): Promise<NatsLink> {
  const servers = natsServers(config);
  return waits.step(part, `NATS at ${withoutCredentials(servers)}`, () => NatsLink.open(servers, part, logger, natsAccess(config)), permanentNatsFailure);
}

/** Runs `part`'s JetStream set-up (`what`, such as creating its consumer) with a manager, waiting while JetStream cannot do it; resolves with the manager. */
export function setUpJetStream(waits: StartWaits, part: string, what: string, link: NatsLink, run: (jsm: JetStreamManager) => Promise<unknown>): Promise<JetStreamManager> {
  return waits.step(
    part,
    what,
    async () => {
      const jsm = await jetstreamManager(link.nc);
      await run(jsm);
      return jsm;
    },
    permanentNatsFailure,
  );
}
