/**
 * Dead letters: what the sink could not store, and identity links the
 * identity stage refused, go, with its reason, its
 * delivery count and its payload, to the dead-letter stream and to the
 * dead_letters table, so nothing is dropped without a trace. A dead letter
 * that fails again in a redrive (src/repair/redrive-task.ts) goes back the
 * same way, once, marked with the redrive's task.
 */
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { toDateTime64 } from '../storage/datetime';
import { objectRow, type ClickHouseWriter } from '../storage/clickhouse-writer';
import { errorMessage } from '../lifecycle/backoff';
import type { DeadLetterReason } from '../stream/dead-letter-stream';

/** A message the sink could not store. */
export interface DeadLetter {
  readonly seq: number;
  readonly subject: string;
  /** The source of the record, or empty when the envelope could not be read. */
  readonly sourceId: string;
  readonly reason: DeadLetterReason;
  readonly error: string;
  readonly deliveries: number;
  readonly payload: Uint8Array;
}

/** What a stage reads of a message and how it answers it: a JetStream message, or a dead letter sent through again (src/repair/letter-message.ts). */
export type StageMessage = Pick<JsMsg, 'seq' | 'subject' | 'data' | 'ack' | 'nak' | 'term'> & { readonly info: Pick<JsMsg['info'], 'deliveryCount' | 'redelivered'> };

/** The dead letter of a message; `sourceId` is empty when the envelope could not be read. */
export function deadLetter(msg: StageMessage, reason: DeadLetterReason, error: unknown, sourceId: string): DeadLetter {
  return { seq: msg.seq, subject: msg.subject, sourceId, reason, error: errorMessage(error), deliveries: msg.info.deliveryCount, payload: msg.data };
}

/** Records dead letters in the dead-letter stream and the dead_letters table. */
export class DeadLetters {
  /**
   * `subjectOf` gives the dead-letter stream's subject for a source
   * (stream/dead-letter-stream.ts); `redrive` is the task whose redrive
   * these letters failed again in ('' for first failures), and `recorded`
   * is told of every letter once it is stored.
   */
  constructor(
    private readonly js: JetStreamClient,
    private readonly writer: ClickHouseWriter,
    private readonly subjectOf: (sourceId: string) => string,
    private readonly redrive = '',
    private readonly recorded: (letters: readonly DeadLetter[]) => void = () => undefined,
  ) {}

  /** The dead letters of the redrive `taskId`: written through `writer` (the task's token scope), each published once per task, and told to `recorded`. */
  forRedrive(taskId: string, writer: ClickHouseWriter, recorded: (letters: readonly DeadLetter[]) => void): DeadLetters {
    return new DeadLetters(this.js, writer, this.subjectOf, taskId, recorded);
  }

  /** Stores every letter in both places; idempotent per stream sequence. Throws when either fails. */
  async record(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    for (const letter of letters) {
      const h = headers();
      h.set('Tributary-Reason', letter.reason);
      h.set('Tributary-Error', letter.error.slice(0, 1024).replace(/[\r\n]+/g, ' '));
      h.set('Tributary-Subject', letter.subject);
      h.set('Tributary-Sequence', String(letter.seq));
      if (this.redrive !== '') h.set('Tributary-Redrive', this.redrive);
      // A letter failing again in a redrive is a new message of the dead-letter stream, not a duplicate of its first.
      await this.js.publish(this.subjectOf(letter.sourceId), letter.payload, { msgID: this.redrive === '' ? `dead:${letter.seq}` : `dead:${letter.seq}:${this.redrive}`, headers: h });
    }
    const failedAt = toDateTime64(new Date());
    const rows = letters.map((l) =>
      objectRow(l.seq, 'dead_letters', {
        source_id: l.sourceId,
        stream_seq: l.seq,
        subject: l.subject,
        reason: l.reason,
        error: l.error,
        deliveries: l.deliveries,
        payload_base64: Buffer.from(l.payload).toString('base64'),
        failed_at: failedAt,
        last_redrive: this.redrive,
      }),
    );
    await this.writer.writeAll(rows);
    this.recorded(letters);
  }
}
