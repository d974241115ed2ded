/**
 * Where a batch's rows are written: large buffers, one series per table, so
 * that a batch is a few buffers instead of ten thousand strings for the
 * garbage collector to carry, and a table's rows mostly lie back to back
 * (one insert body without copying). A row is a view of its buffer; a full
 * buffer is left to the views that hold it and a new one begun.
 */
import { JsonBytes } from '../contract/wire/json-bytes';
import type { RowSink, RowTable } from './envelope-row';

const CHUNK_BYTES = 4 << 20;

/** The buffers of one batch's rows. */
export class RowBuffers implements RowSink {
  private readonly outs = new Map<RowTable, JsonBytes>();

  /** The output for a row of `table` with room for `most` bytes. */
  begin(table: RowTable, most: number): JsonBytes {
    let out = this.outs.get(table);
    if (out === undefined || out.buf.length - out.n < most) {
      out = new JsonBytes(Buffer.allocUnsafe(Math.max(CHUNK_BYTES, most)));
      this.outs.set(table, out);
    }
    return out;
  }
}
