/**
 * The "-text" form of gRPC-Web: the same frames, base64-encoded. Requests may
 * arrive as several padded base64 chunks one after another; responses are
 * encoded on 3-byte boundaries so the output is one unbroken base64 text.
 */

/** Decodes base64 text arriving in chunks, including padded chunks concatenated. */
export class Base64Decoder {
  private pending = '';

  /** Adds text and returns the bytes of every complete 4-character group; throws on text that is not base64. */
  push(text: string): Buffer {
    const all = this.pending + text.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/=]*$/.test(all)) throw new Error('the base64 body is malformed');
    const whole = all.length - (all.length % 4);
    const parts: Buffer[] = [];
    let start = 0;
    // Every chunk is whole groups of 4, so a group with padding ends a chunk: decode up to it on its own.
    for (let at = 0; at < whole; at += 4) {
      const group = all.slice(at, at + 4);
      if (!group.includes('=')) continue;
      if (!/^[A-Za-z0-9+/]{2}(==|[A-Za-z0-9+/]=)$/.test(group)) throw new Error('the base64 body is malformed');
      parts.push(Buffer.from(all.slice(start, at + 4), 'base64'));
      start = at + 4;
    }
    parts.push(Buffer.from(all.slice(start, whole), 'base64'));
    this.pending = all.slice(whole);
    return Buffer.concat(parts);
  }

  /** Whether text is left that does not make a whole group. */
  get incomplete(): boolean {
    return this.pending.length > 0;
  }
}

/** Encodes bytes arriving in chunks as one base64 text, holding back up to 2 bytes until the next chunk or the end. */
export class Base64Encoder {
  private pending = Buffer.alloc(0);

  /** Adds bytes and returns the base64 of every complete 3-byte group. */
  push(bytes: Uint8Array): string {
    const all = Buffer.concat([this.pending, bytes]);
    const whole = all.length - (all.length % 3);
    this.pending = all.subarray(whole);
    return all.subarray(0, whole).toString('base64');
  }

  /** The base64 of what is held back, padded. */
  end(): string {
    const rest = this.pending.toString('base64');
    this.pending = Buffer.alloc(0);
    return rest;
  }
}
