/**
 * Base64 for gRPC-Web in any JavaScript runtime (atob/btoa, no Buffer):
 * "-text" bodies, and binary trailers such as grpc-status-details-bin, which
 * may come unpadded or as padded chunks one after another.
 */

/** Encodes bytes as one padded base64 text. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Decodes base64 text: padded chunks one after another, or one unpadded chunk. */
export function fromBase64(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const chunk of text.replace(/\s+/g, '').match(/[^=]*=*/g) ?? []) {
    if (chunk === '') continue;
    const binary = atob(chunk);
    for (let i = 0; i < binary.length; i++) bytes.push(binary.charCodeAt(i));
  }
  return Uint8Array.from(bytes);
}
