/**
 * The rules of a redrive request: every field at fault is named at once,
 * and a request that keeps to them gives its selection, with the default
 * rate when none is given.
 */
import { checkRedriveRequest, DEFAULT_REDRIVE_RATE, MAX_REDRIVE_RATE } from '../../../src/admin/redrive-request';
import { IngestError } from '../../../src/errors/ingest-error';
import type { RedriveDeadLettersRequest } from '../../../src/gen/tributary/admin/v1/admin_service';

const request = (over: Partial<RedriveDeadLettersRequest> = {}): RedriveDeadLettersRequest => ({ reasons: [], sourceIds: [], fromTime: undefined, toTime: undefined, rate: 0, ...over });

it('gives the selection of a request that keeps to the rules, sorted and without repeats, at the default rate', () => {
  expect(
    checkRedriveRequest(request({ reasons: ['REJECTED_BY_CLICKHOUSE', 'IDENTITY_LINK_REFUSED', 'REJECTED_BY_CLICKHOUSE'], sourceIds: ['web'], fromTime: new Date('2026-12-01T00:00:00Z') })),
  ).toEqual({ reasons: ['IDENTITY_LINK_REFUSED', 'REJECTED_BY_CLICKHOUSE'], sources: ['web'], fromTime: '2026-12-01T00:00:00.000Z', rate: DEFAULT_REDRIVE_RATE });
  expect(checkRedriveRequest(request({ rate: 50 })).rate).toBe(50);
});

it('names every field at fault', () => {
  let caught: unknown;
  try {
    checkRedriveRequest(
      request({
        reasons: ['LOST', 'INVALID_ENVELOPE'],
        sourceIds: ['x'.repeat(300)],
        fromTime: new Date('2026-12-02T00:00:00Z'),
        toTime: new Date('2026-12-01T00:00:00Z'),
        rate: MAX_REDRIVE_RATE + 1,
      }),
    );
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(IngestError);
  const fields = ((caught as IngestError).options.violations ?? []).map((v) => v.field);
  expect(fields).toEqual(['reasons[0]', 'reasons[1]', 'source_ids[0]', 'to_time', 'rate']);
});
