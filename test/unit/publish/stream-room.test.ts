/** StreamRoom: the gateway's own byte limit of the stream, from readings of the stream's bytes and what it published since. */
import { StreamRoom } from '../../../src/publish/stream-room';

/** A reading the test answers by hand. */
function manualReadings() {
  const pending: { resolve: (bytes: number) => void; reject: (error: Error) => void }[] = [];
  const read = () => new Promise<number>((resolve, reject) => pending.push({ resolve, reject }));
  return { read, answer: (bytes: number) => pending.shift()!.resolve(bytes), fail: (error: Error) => pending.shift()!.reject(error) };
}

it('accepts below the limit, counting what it takes, and refuses with STREAM_FULL once the count reaches it', () => {
  const room = new StreamRoom(1000, () => Promise.resolve(0));
  expect(room.take(600)).toBeUndefined();
  expect(room.take(399)).toBeUndefined();
  expect(room.bytes).toBe(999);
  expect(room.take(1)).toBeUndefined();
  const refusal = room.take(1);
  expect(refusal).toMatchObject({ reason: 'STREAM_FULL', options: { metadata: { max_stream_bytes: '1000' } } });
  expect(room.bytes).toBe(1000);
});

it('takes the reading as the base, keeping what was published after the reading was asked for', async () => {
  const { read, answer } = manualReadings();
  const room = new StreamRoom(1000, read);
  room.take(300);
  const reading = room.read();
  room.take(200); // published while the reading is on its way: not in it
  answer(900); // the stream holds 900, which includes the first 300 and others' records
  await reading;
  expect(room.bytes).toBe(1100);
  expect(room.take(1)?.reason).toBe('STREAM_FULL');
});

it('accepts again once a reading shows the stream emptied (the sink purged it)', async () => {
  let held = 5000;
  const room = new StreamRoom(1000, () => Promise.resolve(held));
  await room.read();
  expect(room.take(10)?.reason).toBe('STREAM_FULL');
  held = 0;
  await room.read();
  expect(room.take(10)).toBeUndefined();
});

it('keeps the last reading when one fails, and reports only the first failure of a run', async () => {
  const { read, answer, fail } = manualReadings();
  const failures: unknown[] = [];
  const room = new StreamRoom(1000, read, (error) => failures.push(error));
  let reading = room.read();
  answer(2000);
  await reading;
  for (let i = 0; i < 3; i++) {
    reading = room.read();
    fail(new Error('timeout'));
    await reading;
  }
  expect(failures).toHaveLength(1);
  expect(room.take(1)?.reason).toBe('STREAM_FULL');
  reading = room.read();
  answer(0);
  await reading;
  reading = room.read();
  fail(new Error('timeout again'));
  await reading;
  expect(failures).toHaveLength(2);
});

it('has no limit at 0 or below, and then reads nothing', () => {
  const read = jest.fn(() => Promise.resolve(0));
  const room = new StreamRoom(-1, read);
  room.start();
  expect(room.take(Number.MAX_SAFE_INTEGER)).toBeUndefined();
  expect(read).not.toHaveBeenCalled();
  room.stop();
});

it('says whether it has a limit to keep', () => {
  expect(new StreamRoom(1000, () => Promise.resolve(0)).limited).toBe(true);
  expect(new StreamRoom(-1, () => Promise.resolve(0)).limited).toBe(false);
});
