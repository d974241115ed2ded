/**
 * Erasure of dead letters: what the sink could not store is kept whole (the
 * dead_letters table, the dead-letter stream), so the person is found by
 * reading each payload's record for their ids. Dead letters are the sink's
 * failures, so they are few and read in full. A payload that cannot be read
 * as an envelope names nobody and is kept.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { Envelope } from '../gen/tributary/ingest/v1/envelope';
import { personIds } from '../policy/person-ids';
import type { ClickHouseErasure } from './clickhouse-erasure';
import { eraseMessages } from '../stream/stream-erasure';

/** Whether a payload's record names a covered person, by its hashed ids. */
export function namesCovered(payload: Uint8Array, isCovered: (id: string) => boolean): boolean {
  try {
    const record = Envelope.decode(payload).record;
    return record !== undefined && personIds(record).some(isCovered);
  } catch {
    return false;
  }
}

/** What dead-letter erasure removed: the letters (rows and dead-letter messages), and the original messages' sequences, for the stream's erasure. */
export interface DeadLetterErasure {
  readonly removed: number;
  readonly originalSeqs: number[];
}

/** Erases the covered persons' dead letters from the dead_letters table and the dead-letter stream `deadLetterStream`. */
export async function eraseDeadLetters(erasure: ClickHouseErasure, jsm: JetStreamManager, deadLetterStream: string, isCovered: (id: string) => boolean): Promise<DeadLetterErasure> {
  const rows = (await erasure.deadLetters()).filter((row) => namesCovered(row.payload, isCovered));
  const originalSeqs = new Set(rows.map((row) => row.seq));
  const letters: number[] = [];
  const state = (await jsm.streams.info(deadLetterStream)).state;
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const message = await jsm.streams.getMessage(deadLetterStream, { seq }).catch(() => null);
    if (message === null || !namesCovered(message.data, isCovered)) continue;
    letters.push(seq);
    const original = Number(message.header.get('Tributary-Sequence'));
    if (Number.isSafeInteger(original) && original > 0) originalSeqs.add(original);
  }
  await erasure.eraseDeadLetterRows(rows.map((row) => row.seq));
  const erasedLetters = await eraseMessages(jsm, deadLetterStream, letters);
  return { removed: Math.max(rows.length, erasedLetters), originalSeqs: [...originalSeqs] };
}
