/** DateTime64 text by integer arithmetic agrees with toISOString for every instant, fractions and far years included. */
import fc from 'fast-check';
import { msToDateTime64, toDateTime64 } from '../../../src/storage/datetime';

const viaIso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

it('formats instants as ClickHouse reads them', () => {
  expect(toDateTime64(new Date('2026-11-20T10:15:30.250Z'))).toBe('2026-11-20 10:15:30.250');
  expect(msToDateTime64(0)).toBe('1970-01-01 00:00:00.000');
  expect(msToDateTime64(-1)).toBe('1969-12-31 23:59:59.999');
  expect(msToDateTime64(951_782_400_000)).toBe('2000-02-29 00:00:00.000');
  expect(msToDateTime64(-0.5)).toBe(viaIso(-0.5));
  expect(msToDateTime64(Date.UTC(10_000, 0, 1))).toBe(viaIso(Date.UTC(10_000, 0, 1)));
});

it('agrees with toISOString across the whole range of dates', () => {
  const span = 8.64e15;
  fc.assert(
    fc.property(fc.double({ min: -span, max: span, noNaN: true }), (ms) => msToDateTime64(ms) === viaIso(ms)),
    { seed: 20261129, numRuns: 20_000 },
  );
  // Years 0 to 9999, where the arithmetic path runs.
  fc.assert(
    fc.property(fc.integer({ min: Date.parse('0000-01-01T00:00:00Z') - 86_400_000, max: Date.parse('9999-12-31T23:59:59.999Z') + 86_400_000 }), (ms) => msToDateTime64(ms) === viaIso(ms)),
    { seed: 20261129, numRuns: 50_000 },
  );
});
