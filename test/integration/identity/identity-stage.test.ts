/**
 * Identity is a stage of its own: with its graph table detached, identify
 * and alias events are still stored and acked by the sink at once, the
 * identity stage keeps its messages unacked and, past the stall bound,
 * says it is not ready and why; with the table back it resolves every link.
 */
import { randomBytes } from 'node:crypto';
import type { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { count, select } from '../../helpers/clickhouse';
import { SinkHarness } from '../../helpers/sink-harness';
import { waitFor } from '../../helpers/wait';

let harness: SinkHarness;
beforeAll(async () => {
  harness = await SinkHarness.create({ sinkStallAfterMs: '1s', sinkRetryMaxMs: '200ms' });
});
afterAll(async () => {
  await harness.close();
});

const tag = randomBytes(3).toString('hex');
const identify = (eventId: string, profileId: string, userId: string): Record => ({
  eventId,
  timestamp: new Date('2026-11-20T10:00:00Z'),
  kind: { $case: 'event', value: { profileId, userId, sessionId: '', accountId: '', pageId: '', call: { $case: 'identify', value: { userAttributes: { plan: 'pro' } } } } },
});

it('stores and acks events while identity resolution fails, and resolves their links once it can', async () => {
  const edges = harness.table('identity_edges');
  await harness.clickhouse.command({ query: `DETACH TABLE ${edges}` });
  try {
    await harness.publish([identify(`id1_${tag}`, `phone_${tag}`, `ada_${tag}`), identify(`id2_${tag}`, `laptop_${tag}`, `ada_${tag}`)]);
    await waitFor('the sink to store and ack both events', async () => {
      const state = await harness.consumerState();
      const stored = await count(harness.clickhouse, `SELECT count() AS n FROM ${harness.table('events_final')} WHERE user_id = 'ada_${tag}'`);
      return state.pending === 0 && state.ackPending === 0 && stored === 2 ? true : undefined;
    });
    const reason = await waitFor('the identity stage to report itself not ready', () => {
      const ready = harness.identity?.ready();
      return typeof ready === 'string' ? ready : undefined;
    });
    expect(reason).toMatch(/failing for \d+s: .*identity_edges/);
    expect(harness.sink?.ready()).toBe(true);
    const identifyConsumer = harness.identityConsumers.find((c) => c.endsWith('-identify')) as string;
    expect((await harness.consumerState(identifyConsumer)).ackPending).toBe(2);
  } finally {
    await harness.clickhouse.command({ query: `ATTACH TABLE ${edges}` });
  }

  await waitFor('both profiles stitched to one master', async () => {
    const masters = await select<{ master_id: string }>(harness.clickhouse, `SELECT master_id FROM ${harness.table('profile_masters_current')} WHERE profile_id IN ('phone_${tag}', 'laptop_${tag}')`);
    return masters.length === 2 && masters.every((m) => m.master_id === `phone_${tag}`) ? true : undefined;
  });
  await waitFor('the identity stage to be ready again', () => (harness.identity?.ready() === true ? true : undefined));
});
