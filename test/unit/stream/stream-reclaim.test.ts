/** firstNeeded: the first stream sequence some consumer may still need, so that a purge below it loses nothing unacknowledged. */
import { firstNeeded } from '../../../src/stream/stream-reclaim';

const consumer = (ackFloor: number, pending: number, ackPending: number) => ({ ack_floor: { stream_seq: ackFloor, consumer_seq: 0 }, num_pending: pending, num_ack_pending: ackPending });

it('is past the end when every consumer is caught up, even a filtered one whose ack floor lags at its last subject', () => {
  expect(firstNeeded(1000, [consumer(1000, 0, 0), consumer(40, 0, 0)])).toBe(1001);
});

it('is the lowest ack floor among consumers with work left', () => {
  expect(firstNeeded(1000, [consumer(900, 100, 0), consumer(500, 0, 10), consumer(40, 0, 0)])).toBe(501);
});

it('keeps what a consumer that has not acked anything still needs', () => {
  expect(firstNeeded(1000, [consumer(0, 1000, 0)])).toBe(1);
});
