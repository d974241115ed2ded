/** SQL text for values, for the few queries that must be plain text (the admin endpoint takes no parameters). */

/** A ClickHouse string literal: backslashes and single quotes escaped. */
export const sqlString = (value: string): string => `'${value.replace(/[\\']/g, '\\$&')}'`;

/**
 * Values split into `IN (...)` lists of at most `maxBytes` of SQL each, so a
 * query stays well under ClickHouse's max_query_size (256 KiB by default).
 */
export function inLists(values: Iterable<string>, maxBytes = 100_000): string[] {
  const lists: string[] = [];
  let list: string[] = [];
  let bytes = 0;
  for (const value of values) {
    const literal = sqlString(value);
    if (list.length > 0 && bytes + literal.length + 2 > maxBytes) {
      lists.push(list.join(', '));
      [list, bytes] = [[], 0];
    }
    list.push(literal);
    bytes += literal.length + 2;
  }
  if (list.length > 0) lists.push(list.join(', '));
  return lists;
}
