/** SQL text for values, for the few queries that must be plain text (the admin endpoint takes no parameters). */

/** A ClickHouse string literal: backslashes and single quotes escaped. */
export const sqlString = (value: string): string => `'${value.replace(/[\\']/g, '\\$&')}'`;

/** Values split into lists small enough for an `IN (...)` under ClickHouse's max_query_size. */
export function inLists(values: Iterable<string>, size = 1000): string[] {
  const all = [...values];
  const lists: string[] = [];
  for (let i = 0; i < all.length; i += size) lists.push(all.slice(i, i + size).map(sqlString).join(', '));
  return lists;
}
