/**
 * Opens what a process needs of the policy layer: the ledger (watched into
 * memory) and the regulations' store, waiting through the process's
 * {@link StartWaits} while NATS cannot give them. The gateway and the
 * privacy stage open them the same way.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/settings';
import type { StartWaits } from '../lifecycle/start-waits';
import type { NatsLink } from '../stream/connection';
import { permanentNatsFailure } from '../stream/set-up';
import { ledgerBucket, PolicyLedger } from './policy-ledger';
import { RegulationStore, regulationsBucket } from './regulation-store';

/** The ledger and the regulations of one process. */
export interface Policy {
  readonly ledger: PolicyLedger;
  readonly store: RegulationStore;
}

/** Opens the ledger and the regulations of the installation of `config`'s stream, for `part` (as readiness names it). */
export async function openPolicy(waits: StartWaits, part: string, link: NatsLink, config: Config, logger: Logger): Promise<Policy> {
  const ledger = await waits.step(
    part,
    `the policy ledger "${ledgerBucket(config.stream)}"`,
    () => PolicyLedger.open(link, ledgerBucket(config.stream), config.replicas, logger),
    permanentNatsFailure,
  );
  const store = await waits
    .step(part, `the regulations "${regulationsBucket(config.stream)}"`, () => RegulationStore.open(link, regulationsBucket(config.stream), config.replicas), permanentNatsFailure)
    .catch((error: unknown) => {
      ledger.close();
      throw error;
    });
  return { ledger, store };
}
