/** How insert failures are classed, the insert token, the parts of a backfill, and the version floor. */
import { isAtLeast } from '../../../src/storage/clickhouse-client';
import { insertToken, partitionParts, type PendingRow } from '../../../src/storage/clickhouse-writer';
import { classifyInsertFailure } from '../../../src/storage/error-class';

it('calls errors about a row poison, the partition limit a split, and everything else transient', () => {
  for (const type of ['INCORRECT_DATA', 'CANNOT_PARSE_DATETIME', 'TYPE_MISMATCH', 'CANNOT_CONVERT_TYPE']) expect(classifyInsertFailure({ type, message: 'x' })).toBe('poison');
  for (const type of [
    'UNKNOWN_TABLE',
    'TIMEOUT_EXCEEDED',
    'MEMORY_LIMIT_EXCEEDED',
    'TOO_MANY_PARTS',
    'NO_SUCH_COLUMN_IN_TABLE',
    'UNKNOWN_IDENTIFIER',
    'INCORRECT_QUERY',
    'INCORRECT_NUMBER_OF_COLUMNS',
    'NUMBER_OF_COLUMNS_DOESNT_MATCH',
  ]) {
    expect(classifyInsertFailure({ type, message: 'x' })).toBe('transient');
  }
  expect(classifyInsertFailure({ type: 'INCORRECT_DATA', message: 'Unknown field found while parsing JSONEachRow format: properties: (at row 1)' })).toBe('transient');
  expect(classifyInsertFailure({ type: 'TOO_MANY_PARTS', message: 'Too many partitions for single INSERT block (more than 100).' })).toBe('split');
  expect(classifyInsertFailure(new Error('connect ECONNREFUSED 127.0.0.1:8123'))).toBe('transient');
});

it('derives the insert token from the table and the stream sequences only', () => {
  const rows = [
    { seq: 1, table: 'events', bytes: Buffer.from('{"a":1}\n') },
    { seq: 2, table: 'events', bytes: Buffer.from('{"a":2}\n') },
  ];
  expect(insertToken('events', rows)).toBe(
    insertToken(
      'events',
      rows.map((r) => ({ ...r, bytes: Buffer.from('{}\n') })),
    ),
  );
  expect(insertToken('events', rows)).not.toBe(insertToken('events', [rows[0]]));
  expect(insertToken('events', rows)).not.toBe(insertToken('products', rows));
});

it("scopes a replay's tokens apart from the live sink's, and leaves the live sink's as they were", () => {
  const rows = [{ seq: 7, table: 'events', bytes: Buffer.alloc(0) }];
  expect(insertToken('events', rows, '')).toBe(insertToken('events', rows));
  // The live sink's token of these rows, as every release before scopes made it: a redelivery after an upgrade still matches it.
  expect(insertToken('events', rows)).toBe('e3d947247f4959b8f2176bdc5be1f37c27f0b92f');
  expect(insertToken('events', rows, 'replay:a')).not.toBe(insertToken('events', rows));
  expect(insertToken('events', rows, 'replay:a')).not.toBe(insertToken('events', rows, 'replay:b'));
  expect(insertToken('events', rows, 'replay:a')).toBe(insertToken('events', rows, 'replay:a'));
});

describe('parts of a batch', () => {
  const row = (seq: number, partition: number): PendingRow => ({ seq, table: 'events', bytes: Buffer.alloc(0), partition });

  it('keeps a batch within the limit whole and in order', () => {
    const rows = [row(1, 202603), row(2, 201001), row(3, 202603)];
    expect(partitionParts(rows, 2)).toEqual([rows]);
    expect(partitionParts([], 2)).toEqual([]);
  });

  it('cuts a backfill into parts of at most the limit, the same way whatever the order', () => {
    const rows = Array.from({ length: 150 }, (_, i) => row(i + 1, 201400 + Math.floor(i / 12) * 100 + (i % 12) + 1));
    const parts = partitionParts(rows, 100);
    expect(parts.map((p) => new Set(p.map((r) => r.partition)).size)).toEqual([100, 50]);
    expect(
      parts
        .flat()
        .map((r) => r.seq)
        .sort((a, b) => a - b),
    ).toEqual(rows.map((r) => r.seq));
    const shuffled = [...rows].reverse();
    expect(
      partitionParts(shuffled, 100).map((p) =>
        insertToken(
          'events',
          [...p].sort((a, b) => a.seq - b.seq),
        ),
      ),
    ).toEqual(parts.map((p) => insertToken('events', p)));
  });
});

it('compares dotted versions', () => {
  expect(isAtLeast('26.7.2.1', '25.3')).toBe(true);
  expect(isAtLeast('25.3', '25.3')).toBe(true);
  expect(isAtLeast('25.2.9', '25.3')).toBe(false);
  expect(isAtLeast('18.16.1', '25.3')).toBe(false);
});
