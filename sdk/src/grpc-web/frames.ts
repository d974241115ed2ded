/**
 * The gRPC-Web wire format, shared by the gateway's bridge and the SDK's
 * browser transport: 5-byte frame headers (a flag byte, a big-endian length),
 * message frames, and the trailer frame (flag 0x80) whose payload is HTTP/1
 * header lines. Pure and browser-safe: Uint8Array only, no Node APIs.
 */

/** The flag of a trailer frame. */
export const TRAILER_FLAG = 0x80;

/** One frame: a message (flag 0) or the trailers (flag 0x80). */
export interface Frame {
  readonly flag: number;
  readonly payload: Uint8Array;
}

/** Encodes one frame. */
export function encodeFrame(flag: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(5 + payload.length);
  frame[0] = flag;
  new DataView(frame.buffer).setUint32(1, payload.length);
  frame.set(payload, 5);
  return frame;
}

/** Encodes trailers (lower-case names) as the payload of a trailer frame: "name: value\r\n" lines. */
export function encodeTrailers(trailers: Readonly<Record<string, string>>): Uint8Array {
  return new TextEncoder().encode(
    Object.entries(trailers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join(''),
  );
}

/** Reads the payload of a trailer frame into lower-case names and values. */
export function parseTrailers(payload: Uint8Array): Record<string, string> {
  const trailers: Record<string, string> = {};
  for (const line of new TextDecoder().decode(payload).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return trailers;
}

/** Splits bytes arriving in chunks into whole frames; bytes of an unfinished frame wait for the next chunk. */
export class FrameReader {
  private pending = new Uint8Array(0);

  /** Adds a chunk and returns the frames it completed. */
  push(chunk: Uint8Array): Frame[] {
    const buffer = new Uint8Array(this.pending.length + chunk.length);
    buffer.set(this.pending);
    buffer.set(chunk, this.pending.length);
    const frames: Frame[] = [];
    let at = 0;
    while (buffer.length - at >= 5) {
      const length = new DataView(buffer.buffer, buffer.byteOffset + at + 1, 4).getUint32(0);
      if (buffer.length - at - 5 < length) break;
      frames.push({ flag: buffer[at], payload: buffer.subarray(at + 5, at + 5 + length) });
      at += 5 + length;
    }
    this.pending = buffer.slice(at);
    return frames;
  }

  /** Bytes held that do not yet make a whole frame. */
  get leftover(): number {
    return this.pending.length;
  }
}
