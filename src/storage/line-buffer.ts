/**
 * Rows written as bytes as soon as they are made: an arena of large Buffers
 * that JSONEachRow lines are appended to, each handed back as a view. A
 * batch's rows then live as a few large buffers instead of ten thousand long
 * strings, which the garbage collector would otherwise carry into its old
 * generation and spend more time on than the rows took to build.
 */

const CHUNK_BYTES = 1 << 20;

/** Appends lines into large buffers; views stay valid for the buffer's life. */
export class LineBuffer {
  private chunk = Buffer.allocUnsafe(0);
  private used = 0;

  /** Writes `line` and a newline; returns the bytes written. */
  append(line: string): Uint8Array {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit; the newline one more.
    const most = line.length * 3 + 1;
    if (this.chunk.length - this.used < most) {
      this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, most));
      this.used = 0;
    }
    const start = this.used;
    this.used += this.chunk.write(line, start, 'utf8');
    this.chunk[this.used++] = 0x0a;
    return this.chunk.subarray(start, this.used);
  }
}

/** The lines of `rows` as one insert body. */
export const bodyOf = (rows: readonly { readonly bytes: Uint8Array }[]): Buffer => Buffer.concat(rows.map((r) => r.bytes));
