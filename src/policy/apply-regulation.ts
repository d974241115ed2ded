/**
 * What a regulation does to the ledger, for hashed ids: a suppression adds
 * (or widens) each id's entry, an unsuppression lifts it, a delete alone
 * leaves it. The admin API applies it to the named ids before answering;
 * the privacy stage applies it again to every id the regulation covers (the
 * same change twice changes nothing), and once an erasure has caught the
 * stages up, forgets the ids' consent decisions.
 */
import { IdHasher } from './id-hash';
import { inChunks } from './in-chunks';
import type { PolicyLedger } from './policy-ledger';
import type { RegulationState } from './regulation-store';
import { suppress, unsuppress } from './suppression';

/** Applies `state`'s regulation to the ledger entries of `hashedIds`. */
export async function applyToLedger(ledger: PolicyLedger, state: RegulationState, hashedIds: readonly string[]): Promise<void> {
  const { kind, sources, id } = state;
  if (kind === 'DELETE') return;
  const change = kind === 'UNSUPPRESS' ? (entry: Parameters<typeof unsuppress>[0]) => unsuppress(entry, sources, id) : (entry: Parameters<typeof suppress>[0]) => suppress(entry, sources, id);
  await inChunks(hashedIds, (hashed) => ledger.change(hashed, change));
}

/** Removes the consent decisions the ledger holds for any of `hashedIds`: an erased person's. */
export async function forgetConsent(ledger: PolicyLedger, hashedIds: readonly string[]): Promise<void> {
  const held = hashedIds.filter((hashed) => ledger.holdsConsent(IdHasher.binaryOf(hashed)));
  await inChunks(held, (hashed) => ledger.forgetConsent(hashed));
}
