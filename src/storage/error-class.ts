/**
 * Which ClickHouse failures a retry can cure (Vector's ClickHouse sink draws
 * the same line): errors about the data itself are poison and go to the dead
 * letters; everything else (network, overload, a table missing or read-only)
 * is transient and retried, so that an outage never sends good records aside.
 */

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
  'INCORRECT_NUMBER_OF_COLUMNS',
  'NUMBER_OF_COLUMNS_DOESNT_MATCH',
  'UNKNOWN_IDENTIFIER',
  'NO_SUCH_COLUMN_IN_TABLE',
  'INCORRECT_QUERY',
  'TOO_DEEP_RECURSION',
]);

/** Whether `error` says the inserted rows are invalid (poison), not that the server had trouble. */
export function isDataError(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  if (typeof type !== 'string') return false;
  return type.startsWith('CANNOT_PARSE') || type.startsWith('CANNOT_CONVERT') || DATA_ERRORS.has(type);
}
