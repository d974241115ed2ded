/**
 * Reads a row the sink wrote as TabSeparated back into a plain object, as
 * ClickHouse reads it: cells unescaped, `\N` as null, the free-form bags and
 * the context parsed as JSON, tags as an array, numbers as numbers.
 */
const UNESCAPES: { readonly [c: string]: string } = { '\\': '\\', t: '\t', n: '\n', r: '\r', '0': '\0', "'": "'" };
const unescape = (cell: string): string => cell.replace(/\\(.)/gs, (_, c: string) => UNESCAPES[c] ?? c);
const JSON_COLUMNS = new Set(['properties', 'user_attributes', 'account_attributes', 'context', 'data']);
const NUMBER_COLUMNS = new Set(['stream_seq', 'price', 'rating']);

/** The items of a TabSeparated array cell such as `['a','b\\'c']`. */
function items(cell: string): string[] {
  return [...cell.slice(1, -1).matchAll(/'((?:[^'\\]|\\.)*)'/gs)].map((m) => unescape(m[1]));
}

/** The row in `bytes` (one line, with its newline), named by `columns`. */
export function parseTsvRow(bytes: Uint8Array, columns: readonly string[]): { [column: string]: unknown } {
  const line = Buffer.from(bytes).toString('utf8');
  if (!line.endsWith('\n') || line.indexOf('\n') !== line.length - 1) throw new Error(`not one line: ${JSON.stringify(line)}`);
  const cells = line.slice(0, -1).split('\t');
  if (cells.length !== columns.length) throw new Error(`${cells.length} cells for ${columns.length} columns`);
  return Object.fromEntries(
    columns.map((column, i) => {
      const cell = cells[i];
      if (cell === '\\N') return [column, null];
      if (column === 'tags') return [column, items(cell)];
      const text = unescape(cell);
      if (JSON_COLUMNS.has(column)) return [column, JSON.parse(text)];
      return [column, NUMBER_COLUMNS.has(column) ? Number(text) : text];
    }),
  );
}
