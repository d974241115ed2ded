/**
 * TabSeparated cells written as bytes, as ClickHouse's TabSeparated input
 * reads them: a cell ends at a tab or newline, so a value's backslash, tab,
 * newline, carriage return and NUL are escaped (`\\`, `\t`, `\n`, `\r`,
 * `\0`); NULL is `\N`; an array is `['a','b']`, its strings quoted with `'`
 * escaped. ClickHouse parses TabSeparated by position, without the key
 * matching of JSON formats: about a third less CPU per row of the events
 * table here (docs/sink.md).
 */
import { isUtf8 } from 'node:buffer';
import type { JsonBytes } from '../contract/wire/json-bytes';

/** The escape's second byte, by the byte it escapes. */
const ESCAPES: { readonly [code: number]: number } = { 0x00: 0x30, 0x09: 0x74, 0x0a: 0x6e, 0x0d: 0x72, 0x5c: 0x5c, 0x27: 0x27 };
/** How protobuf decoders read strings: invalid UTF-8 becomes U+FFFD, a leading U+FEFF is kept. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const BACKSLASH = 0x5c;
const QUOTE = 0x27;

/** Writes bytes[start, stop) escaped; `quoted` also escapes `'`. */
function escaped(out: JsonBytes, bytes: Uint8Array, start: number, stop: number, quoted: boolean): void {
  out.room(2 * (stop - start));
  const buf = out.buf;
  let n = out.n;
  for (let i = start; i < stop; i++) {
    const c = bytes[i];
    const e = c <= QUOTE || c === BACKSLASH ? ESCAPES[c] : undefined;
    if (e !== undefined && (quoted || c !== QUOTE)) {
      buf[n++] = BACKSLASH;
      buf[n++] = e;
    } else {
      buf[n++] = c;
    }
  }
  out.n = n;
}

/** Writes a string field's UTF-8 bytes as a cell (or an array item when `quoted`), decoded first only when they are not valid UTF-8. */
export function tsvString(out: JsonBytes, bytes: Uint8Array, start: number, stop: number, quoted = false): void {
  if (quoted) out.byte(QUOTE);
  const slice = bytes.subarray(start, stop);
  let i = start;
  while (i < stop && bytes[i] < 0x80) i++;
  if (i < stop && !isUtf8(slice)) {
    const decoded = Buffer.from(utf8.decode(slice), 'utf8');
    escaped(out, decoded, 0, decoded.length, quoted);
  } else {
    escaped(out, bytes, start, stop, quoted);
  }
  if (quoted) out.byte(QUOTE);
}

// eslint-disable-next-line no-control-regex -- NUL is one of the characters TabSeparated escapes
const NEEDS_ESCAPE = /[\\\t\n\r\u0000]/;

/** Writes a JS string as a cell. */
export function tsvText(out: JsonBytes, value: string): void {
  if (NEEDS_ESCAPE.test(value)) {
    const bytes = Buffer.from(value, 'utf8');
    escaped(out, bytes, 0, bytes.length, false);
    return;
  }
  out.room(3 * value.length);
  out.n += out.buf.write(value, out.n, 'utf8');
}

/** Escapes what was written from `from` on, in place: JSON text, whose only byte to escape is the backslash. */
export function tsvEscapeWritten(out: JsonBytes, from: number): void {
  let backslashes = 0;
  for (let i = from; i < out.n; i++) if (out.buf[i] === BACKSLASH) backslashes++;
  if (backslashes === 0) return;
  out.room(backslashes);
  const buf = out.buf;
  let to = out.n + backslashes;
  for (let i = out.n - 1; i >= from; i--) {
    buf[--to] = buf[i];
    if (buf[i] === BACKSLASH) buf[--to] = BACKSLASH;
  }
  out.n += backslashes;
}
