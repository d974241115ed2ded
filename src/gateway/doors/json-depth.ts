/**
 * The nesting depth of a JSON body, found by one linear scan of its bytes
 * before it is parsed: brackets outside strings open and close levels. The
 * code that walks a parsed value (ts-proto's Struct, the protobuf encoder,
 * JSON.stringify) recurses and would overflow the stack on deep enough input,
 * so no value deeper than the bound is ever made. The count is exact for
 * valid JSON (no byte of a multi-byte UTF-8 character is an ASCII bracket or
 * quote); text that is not JSON may be miscounted, but then fails to parse,
 * and JSON.parse itself does not recurse.
 */

/**
 * The deepest a door's JSON body may nest (an object or an array is one
 * level). A deeper body holds no record the contract could take: a payload
 * may nest at most TRIBUTARY_MAX_STRUCT_DEPTH (16) levels, and the protobuf
 * decoder stops at 100 messages, about 32 levels of a Struct.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/** Whether the JSON text `bytes` (UTF-8) nests deeper than `max` levels; the scan stops at the first level past it. */
export function nestsDeeperThan(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}
