/**
 * Id lists for graph queries: passed as the query parameter
 * `{ids:Array(String)}`, which ClickHouse binds without parsing a literal of
 * every id (two to four times less CPU than an IN list of literals here), cut
 * into chunks so a request stays small; and, for the admin endpoint, which
 * takes no parameters, written into the SQL as literals instead.
 */

/** The placeholder of the id list in a graph query. */
export const IDS_PARAM = '{ids:Array(String)}';

/** A ClickHouse string literal: backslashes and single quotes escaped. */
export const sqlString = (value: string): string => `'${value.replace(/[\\']/g, '\\$&')}'`;

/** Values cut into chunks of at most `maxBytes` (counted as SQL literals), so a request stays well under the server's limits. */
export function idChunks(values: Iterable<string>, maxBytes = 100_000): string[][] {
  const chunks: string[][] = [];
  let chunk: string[] = [];
  let bytes = 0;
  for (const value of values) {
    const size = value.length + 4;
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      [chunk, bytes] = [[], 0];
    }
    chunk.push(value);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** `sql` with its {@link IDS_PARAM} written as a literal array of `ids`, for an endpoint that takes no parameters. */
export const inlineIds = (sql: string, ids: readonly string[]): string => sql.split(IDS_PARAM).join(`[${ids.map(sqlString).join(', ')}]`);
