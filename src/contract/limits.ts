/**
 * The validator's limits: every bound the contract puts on a record, with its
 * default. The defaults are the ones the proto comments state; a deployment
 * may override them (docs/contract.md lists them).
 */

/** Bounds the validator holds every record to. Lengths count UTF-16 code units. */
export interface ValidationLimits {
  /** Longest event_id. */
  readonly maxEventIdLength: number;
  /** Longest identifier: profile, user, session, account, page and product ids. */
  readonly maxIdLength: number;
  /** Longest short label: track name, consent category and source, brand, email, tag. */
  readonly maxNameLength: number;
  /** Longest free text: titles, descriptions, URLs, context strings, Struct strings. */
  readonly maxTextLength: number;
  /** Deepest nesting of a Struct; the Struct itself is level 1. */
  readonly maxStructDepth: number;
  /** Most entries (object keys plus list items, at every depth) in one Struct. */
  readonly maxStructEntries: number;
  /** Longest key in a Struct. */
  readonly maxKeyLength: number;
  /** Most tags on a product. */
  readonly maxTags: number;
  /** Largest record, in bytes of its binary encoding. */
  readonly maxRecordBytes: number;
  /** How far past the server's clock a corrected timestamp may lie, in milliseconds. */
  readonly maxFutureMs: number;
}

/** The defaults of every limit. */
export const DEFAULT_LIMITS: ValidationLimits = Object.freeze({
  maxEventIdLength: 128,
  maxIdLength: 256,
  maxNameLength: 256,
  maxTextLength: 8192,
  maxStructDepth: 16,
  maxStructEntries: 1000,
  maxKeyLength: 256,
  maxTags: 64,
  maxRecordBytes: 32 * 1024,
  maxFutureMs: 24 * 60 * 60 * 1000,
});
