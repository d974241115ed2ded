/**
 * A dead letter as a stage's message (StageMessage), so that a redrive sends
 * it through the very batch handler that set it aside (the sink's, or the
 * identity stage's): it carries the record's stream sequence, subject and
 * envelope, counts as a first delivery that may already be stored (so the
 * sink looks its row up), and notes how the stage answered it.
 */
import type { StageMessage } from '../stages/dead-letters';

/** A dead letter's row, as the redrive reads it from dead_letters. */
export interface LetterRow {
  readonly source_id: string;
  /** The record's sequence in the stream. */
  readonly stream_seq: string | number;
  readonly subject: string;
  readonly reason: string;
  readonly error: string;
  readonly deliveries: number;
  readonly payload_base64: string;
  readonly failed_at: string;
  readonly last_redrive: string;
}

/** How a stage answered a message: acked (done), nak-ed (to be sent again) or terminated (set aside as a dead letter). */
export type Answer = 'ack' | 'nak' | 'term';

/** A dead letter sent through a stage, with the stage's answer once it gave one. */
export interface LetterMessage extends StageMessage {
  readonly row: LetterRow;
  readonly answer: Answer | undefined;
}

/** The message of the dead letter `row`. */
export function letterMessage(row: LetterRow): LetterMessage {
  let answer: Answer | undefined;
  return {
    row,
    seq: Number(row.stream_seq),
    subject: row.subject,
    data: Buffer.from(row.payload_base64, 'base64'),
    info: { deliveryCount: 1, redelivered: true },
    get answer() {
      return answer;
    },
    ack: () => void (answer ??= 'ack'),
    nak: () => void (answer ??= 'nak'),
    term: () => void (answer ??= 'term'),
  };
}
