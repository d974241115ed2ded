/**
 * What a failed insert means, so the sink knows whether to retry it or look
 * for the rows at fault (Vector's ClickHouse sink draws the same line):
 *
 * - `poison`: ClickHouse says a row's data cannot be stored (a parse or type
 *   error). The insert is split until the rows at fault are found; they go
 *   to the dead letters, the others are stored.
 * - `split`: the insert as a whole is too big a piece for the engine (more
 *   partitions than one insert may touch). It is split and retried; no row is
 *   at fault.
 * - `transient`: everything else (network, overload, a table or column
 *   missing, a query the engine refuses). The sink builds every row itself,
 *   so a missing column or a malformed statement is schema drift or a bug,
 *   never bad data: retried with backoff, never dead-lettered.
 */

/** How the sink treats a failed insert. */
export type InsertFailure = 'poison' | 'split' | 'transient';

/** ClickHouse error types that mean the rows themselves cannot be stored. */
const DATA_ERRORS = new Set([
  'TYPE_MISMATCH',
  'INCORRECT_DATA',
  'ILLEGAL_TYPE_OF_ARGUMENT',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  'TOO_LARGE_STRING_SIZE',
  'CANNOT_READ_ALL_DATA',
  'ARGUMENT_OUT_OF_BOUND',
  'DECIMAL_OVERFLOW',
  'TOO_DEEP_RECURSION',
]);

/** An unknown field in a JSONEachRow insert (INCORRECT_DATA) means the table lost a column: drift, not data. */
const UNKNOWN_FIELD = /Unknown field found while parsing/;

/** TOO_MANY_PARTS also names merge back-pressure, which is transient; only this message asks for smaller inserts. */
const TOO_MANY_PARTITIONS = /Too many partitions for single INSERT block/;

/** Classifies an insert's failure from the ClickHouse error's type and message. */
export function classifyInsertFailure(error: unknown): InsertFailure {
  const { type, message } = (error ?? {}) as { type?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  if (TOO_MANY_PARTITIONS.test(text)) return 'split';
  if (typeof type !== 'string' || UNKNOWN_FIELD.test(text)) return 'transient';
  return type.startsWith('CANNOT_PARSE') || type.startsWith('CANNOT_CONVERT') || DATA_ERRORS.has(type) ? 'poison' : 'transient';
}

/** ClickHouse error types that waiting will not mend: the server refuses who we are. */
const ACCESS_ERRORS = new Set(['AUTHENTICATION_FAILED', 'UNKNOWN_USER', 'REQUIRED_PASSWORD', 'WRONG_PASSWORD', 'ACCESS_DENIED', 'IP_ADDRESS_NOT_ALLOWED']);

/** Whether a failed set-up step (version check, migration) is permanent: an unsupported server, or credentials it refuses. */
export function permanentSetUpFailure(error: unknown): boolean {
  if (error instanceof Error && error.name === 'UnsupportedVersionError') return true;
  const { type } = (error ?? {}) as { type?: unknown };
  return typeof type === 'string' && ACCESS_ERRORS.has(type);
}
