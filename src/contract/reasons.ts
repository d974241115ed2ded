/**
 * The reasons a record can be rejected for: the stable UPPER_SNAKE codes that
 * FieldViolation.reason carries, for programs to act on.
 */

/** Every code FieldViolation.reason can take. */
export const Reason = Object.freeze({
  /** The whole record is larger than the limit; its field path is empty. */
  TOO_LARGE: 'TOO_LARGE',
  /** A required field is missing or blank. */
  REQUIRED: 'REQUIRED',
  /** A string is longer than its limit. */
  TOO_LONG: 'TOO_LONG',
  /** A string has characters or a shape its field does not allow (on the JSON doors, a lone surrogate: see docs/http.md). */
  INVALID_FORMAT: 'INVALID_FORMAT',
  /** A value is not one the field allows (unknown enum, self-alias, empty tag, non-finite number). */
  INVALID_VALUE: 'INVALID_VALUE',
  /** A number lies outside its field's range. */
  OUT_OF_RANGE: 'OUT_OF_RANGE',
  /** A track name is one of the names the platform reserves. */
  RESERVED_NAME: 'RESERVED_NAME',
  /** A timestamp lies too far ahead of the server's clock. */
  TOO_FAR_IN_FUTURE: 'TOO_FAR_IN_FUTURE',
  /** A Struct nests deeper than the limit, or the record deeper than the protobuf decoder allows (its field path is then the payload field that nests, such as event.track.data). */
  TOO_DEEP: 'TOO_DEEP',
  /** A Struct has more entries than the limit. */
  TOO_MANY_ENTRIES: 'TOO_MANY_ENTRIES',
  /** A list has more items than the limit. */
  TOO_MANY_ITEMS: 'TOO_MANY_ITEMS',
  /** The record's bytes do not decode (truncated, malformed, a string that is not UTF-8); its field path is empty. */
  UNDECODABLE: 'UNDECODABLE',
});

/** One of the codes of {@link Reason}. */
export type ReasonCode = (typeof Reason)[keyof typeof Reason];
