/**
 * JSON written as UTF-8 bytes into a growable Buffer: the output of the
 * wire-level writers (struct-json.ts, and the sink's rows). Writing bytes
 * rather than concatenating strings saves making a string of every key and
 * value, then encoding the whole text again.
 *
 * Strings from the wire are escaped exactly as JSON.stringify escapes them:
 * quote, backslash and control characters (`\n`, `\u0000`…); valid UTF-8 is
 * copied as it is.
 */
import { isUtf8 } from 'node:buffer';

/** The second byte of JSON.stringify's two-character escapes, by character code. */
const ESCAPES: { readonly [code: number]: number } = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72, 0x22: 0x22, 0x5c: 0x5c };
const HEX = '0123456789abcdef';
/** How protobuf decoders read strings: invalid UTF-8 becomes U+FFFD, a leading U+FEFF is kept. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** A growable buffer of JSON bytes. */
export class JsonBytes {
  /** Whether every byte written since the last {@link reset} is ASCII. */
  ascii = true;

  constructor(
    /** The buffer written into; replaced by a bigger one when it fills. */
    public buf: Buffer = Buffer.allocUnsafe(4096),
    /** Bytes written to `buf`. */
    public n = 0,
  ) {}

  /** Starts again from the beginning of the buffer. */
  reset(): void {
    this.n = 0;
    this.ascii = true;
  }

  /** Makes room for `bytes` more bytes, copying what was written into a bigger buffer if need be. */
  room(bytes: number): void {
    if (this.n + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.n + bytes));
    this.buf.copy(bigger, 0, 0, this.n);
    this.buf = bigger;
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.n++] = c;
  }

  /** Writes ASCII text as it is (names, numbers, punctuation). */
  ascii7(s: string): void {
    this.room(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.n++] = s.charCodeAt(i);
  }

  /** Writes UTF-8 bytes[start, stop) as a JSON string, decoding them only when they are not valid UTF-8. */
  utf8String(bytes: Uint8Array, start: number, stop: number): void {
    this.room(2 + 6 * (stop - start));
    const out = this.buf;
    let n = this.n;
    let high = false;
    out[n++] = 0x22;
    for (let i = start; i < stop; i++) {
      const c = bytes[i];
      if (c >= 0x80) {
        high = true;
      } else if (c < 0x20 || c === 0x22 || c === 0x5c) {
        out[n++] = 0x5c;
        const short = ESCAPES[c];
        if (short !== undefined) {
          out[n++] = short;
        } else {
          out[n++] = 0x75; // \u00XX
          out[n++] = 0x30;
          out[n++] = 0x30;
          out[n++] = HEX.charCodeAt(c >> 4);
          out[n++] = HEX.charCodeAt(c & 15);
        }
        continue;
      }
      out[n++] = c;
    }
    out[n++] = 0x22;
    if (high) {
      this.ascii = false;
      if (!isUtf8(bytes.subarray(start, stop))) {
        // Rare: decoded as protobuf decoders decode it and written again, U+FFFD for each bad byte.
        const json = JSON.stringify(utf8.decode(bytes.subarray(start, stop)));
        n = this.n + out.write(json, this.n, 'utf8');
      }
    }
    this.n = n;
  }

  /** The text written from `start`. */
  text(start = 0): string {
    return this.buf.toString(this.ascii ? 'latin1' : 'utf8', start, this.n);
  }
}
