/**
 * The rules of a StartReplayRequest: each refusal names its field, and a
 * request that passes becomes a window whose end never passes the stream's
 * last sequence at the time it was asked for.
 */
import { IngestError } from '../../../src/errors/ingest-error';
import type { StartReplayRequest } from '../../../src/gen/tributary/admin/v1/admin_service';
import { checkReplayRequest } from '../../../src/admin/replay-request';

const NOW = Date.parse('2026-12-05T10:00:00.000Z');
const known = (source: string) => source === 'web' || source === 'app';
const request = (over: Partial<StartReplayRequest>): StartReplayRequest => ({
  from: { $case: 'fromSequence', value: 1 },
  to: undefined,
  sourceIds: [],
  calls: [],
  names: [],
  includeBlocked: false,
  ...over,
});

/** The fields a refused request names. */
function refusedFields(r: StartReplayRequest): string[] {
  try {
    checkReplayRequest(r, known, 500, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(IngestError);
    return ((error as IngestError).options.violations ?? []).map((v) => v.field);
  }
  throw new Error('the request passed');
}

it('bounds the window by the stream as it is now', () => {
  expect(checkReplayRequest(request({}), known, 500, NOW)).toEqual({ fromSeq: 1, toSeq: 500, sources: [], calls: [], names: [] });
  expect(checkReplayRequest(request({ to: { $case: 'toSequence', value: 900 } }), known, 500, NOW).toSeq).toBe(500);
  expect(checkReplayRequest(request({ to: { $case: 'toSequence', value: 40 } }), known, 500, NOW).toSeq).toBe(40);
  const from = new Date(NOW - 3600_000);
  const to = new Date(NOW - 60_000);
  expect(
    checkReplayRequest(
      request({ from: { $case: 'fromTime', value: from }, to: { $case: 'toTime', value: to }, sourceIds: ['web', 'app', 'web'], calls: ['track'], names: ['B', 'A'] }),
      known,
      500,
      NOW,
    ),
  ).toEqual({
    fromTime: from.toISOString(),
    toSeq: 500,
    toTime: to.toISOString(),
    sources: ['app', 'web'],
    calls: ['track'],
    names: ['A', 'B'],
  });
});

it('refuses each broken rule, naming its field', () => {
  expect(refusedFields(request({ from: undefined }))).toEqual(['from']);
  expect(refusedFields(request({ from: { $case: 'fromTime', value: new Date(NOW + 1000) } }))).toEqual(['from_time']);
  expect(refusedFields(request({ from: { $case: 'fromSequence', value: 10 }, to: { $case: 'toSequence', value: 9 } }))).toEqual(['to_sequence']);
  expect(refusedFields(request({ from: { $case: 'fromTime', value: new Date(NOW - 10) }, to: { $case: 'toTime', value: new Date(NOW - 20) } }))).toEqual(['to_time']);
  expect(refusedFields(request({ sourceIds: ['web', 'nope'] }))).toEqual(['source_ids[1]']);
  expect(refusedFields(request({ calls: ['track', 'screen'] }))).toEqual(['calls[1]']);
  expect(refusedFields(request({ names: ['ok', ' '] }))).toEqual(['names[1]']);
  expect(refusedFields(request({ names: ['Bought'], calls: ['page'] }))).toEqual(['names']);
  expect(refusedFields(request({ sourceIds: Array(101).fill('web') }))).toEqual(['source_ids']);
});
