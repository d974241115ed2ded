/** Which ClickHouse failures are poison, the insert token, and the version floor. */
import { insertToken } from '../../../src/sink/clickhouse-writer';
import { isAtLeast } from '../../../src/storage/clickhouse-client';
import { isDataError } from '../../../src/storage/error-class';

it('calls data errors poison and everything else transient', () => {
  for (const type of ['INCORRECT_DATA', 'CANNOT_PARSE_DATETIME', 'TYPE_MISMATCH', 'CANNOT_CONVERT_TYPE']) expect(isDataError({ type })).toBe(true);
  for (const type of ['UNKNOWN_TABLE', 'TIMEOUT_EXCEEDED', 'MEMORY_LIMIT_EXCEEDED', 'TOO_MANY_PARTS']) expect(isDataError({ type })).toBe(false);
  expect(isDataError(new Error('connect ECONNREFUSED 127.0.0.1:8123'))).toBe(false);
});

it('derives the insert token from the table and the stream sequences only', () => {
  const rows = [{ seq: 1, table: 'events', row: { a: 1 } }, { seq: 2, table: 'events', row: { a: 2 } }];
  expect(insertToken('events', rows)).toBe(insertToken('events', rows.map((r) => ({ ...r, row: {} }))));
  expect(insertToken('events', rows)).not.toBe(insertToken('events', [rows[0]]));
  expect(insertToken('events', rows)).not.toBe(insertToken('products', rows));
});

it('compares dotted versions', () => {
  expect(isAtLeast('26.7.2.1', '25.3')).toBe(true);
  expect(isAtLeast('25.3', '25.3')).toBe(true);
  expect(isAtLeast('25.2.9', '25.3')).toBe(false);
  expect(isAtLeast('18.16.1', '25.3')).toBe(false);
});
