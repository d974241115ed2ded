/**
 * Which messages a replay selects: by the source and call of the subject the
 * gateway published on, by event name from the record, and where its window
 * ends; and the one subject filter its consumer takes.
 */
import { Envelope } from '../../../src/gen/tributary/ingest/v1/envelope';
import { subjectFor } from '../../../src/publish/subjects';
import { pastWindow, replayFilterSubject, selected, subjectParts } from '../../../src/repair/replay-filter';
import type { ReplaySpec } from '../../../src/tasks/task-store';
import { trackRecord, validRecords } from '../../helpers/records';

const spec = (over: Partial<ReplaySpec>): ReplaySpec => ({ fromSeq: 1, toSeq: 100, sources: [], calls: [], names: [], ...over });
const envelopeOf =
  (record = trackRecord('e1', 'Bought')) =>
  () =>
    Envelope.fromPartial({ record, sourceId: 'web' });

it('reads the source and call of every subject the gateway publishes on, and nothing else', () => {
  for (const record of validRecords()) {
    const parts = subjectParts('tri', subjectFor('tri', 'web_1', record));
    const call = record.kind?.$case === 'product' ? 'product' : record.kind?.value.call?.$case;
    expect(parts).toEqual({ source: 'web_1', call });
  }
  for (const subject of ['other.web.event.track', 'tri.web.event', 'tri.web.product.x', 'tri..event.track', 'tri.web.event.track.x', 'tri.web.other.track']) {
    expect([subject, subjectParts('tri', subject)]).toEqual([subject, undefined]);
  }
});

it('selects by source, call and name, reading the record only for names', () => {
  let reads = 0;
  const counted = () => {
    reads++;
    return envelopeOf()();
  };
  expect(selected(spec({}), 'tri', 'tri.web.event.identify', counted)).toBe(true);
  expect(selected(spec({ sources: ['app'] }), 'tri', 'tri.web.event.track', counted)).toBe(false);
  expect(selected(spec({ sources: ['app', 'web'], calls: ['track'] }), 'tri', 'tri.web.event.track', counted)).toBe(true);
  expect(selected(spec({ calls: ['product'] }), 'tri', 'tri.web.product', counted)).toBe(true);
  expect(selected(spec({ calls: ['page'] }), 'tri', 'tri.web.event.track', counted)).toBe(false);
  expect(reads).toBe(0);
  expect(selected(spec({ names: ['Bought'] }), 'tri', 'tri.web.event.track', counted)).toBe(true);
  expect(selected(spec({ names: ['Viewed'] }), 'tri', 'tri.web.event.track', counted)).toBe(false);
  expect(selected(spec({ names: ['Bought'] }), 'tri', 'tri.web.event.page', counted)).toBe(false);
  expect(reads).toBe(2);
  expect(selected(spec({}), 'tri', 'elsewhere.web.event.track', counted)).toBe(false);
});

it('ends the window after its last sequence, or after its last time', () => {
  expect(pastWindow(spec({ toSeq: 10 }), 10, 0)).toBe(false);
  expect(pastWindow(spec({ toSeq: 10 }), 11, 0)).toBe(true);
  const toTime = '2026-12-05T10:00:00.000Z';
  expect(pastWindow(spec({ toSeq: 100, toTime }), 50, Date.parse(toTime))).toBe(false);
  expect(pastWindow(spec({ toSeq: 100, toTime }), 50, Date.parse(toTime) + 1)).toBe(true);
});

it('gives the consumer an exact filter for one source and one call, and the prefix otherwise', () => {
  expect(replayFilterSubject('tri', spec({ sources: ['web'], calls: ['identify'] }))).toBe('tri.web.event.identify');
  expect(replayFilterSubject('tri', spec({ sources: ['web'], calls: ['product'] }))).toBe('tri.web.product');
  expect(replayFilterSubject('tri', spec({ calls: ['track'] }))).toBe('tri.*.event.track');
  expect(replayFilterSubject('tri', spec({ names: ['Bought'] }))).toBe('tri.*.event.track');
  expect(replayFilterSubject('tri', spec({ sources: ['web'] }))).toBe('tri.web.>');
  expect(replayFilterSubject('tri', spec({ sources: ['web', 'app'], calls: ['track', 'page'] }))).toBe('tri.>');
});
