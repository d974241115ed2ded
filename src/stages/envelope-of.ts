/**
 * A stage message's Envelope, or undefined for one that does not decode:
 * what the identity stage's batches and the repair tasks read, each deciding
 * for itself what to do with a message that is not a record.
 */
import { Envelope } from '../gen/tributary/ingest/v1/envelope';
import type { StageMessage } from './dead-letters';

/** The Envelope of `msg`; undefined for one that does not decode. */
export function envelopeOf(msg: Pick<StageMessage, 'data'>): Envelope | undefined {
  try {
    return Envelope.decode(msg.data);
  } catch {
    return undefined;
  }
}
