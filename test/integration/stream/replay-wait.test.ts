/**
 * Erasure's wait for replays, against a real nats-server: it notes where
 * each replay consumer had delivered to, and resolves only once each has
 * acked that far (or is gone, or no process runs it); consumers of other
 * names are not waited for.
 */
import { randomBytes } from 'node:crypto';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { deliveredUpTo, waitForDelivered } from '../../../src/stream/stream-erasure';
import { NatsServer } from '../../helpers/nats-server';
import { waitFor } from '../../helpers/wait';

let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.stop();
});

it('waits until a replay has acked what it had delivered when the erasure began, and for no other consumer', async () => {
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const stream = `W_${randomBytes(4).toString('hex')}`;
    await jsm.streams.add({ name: stream, subjects: [`${stream.toLowerCase()}.>`] });
    for (let i = 0; i < 5; i++) await js.publish(`${stream.toLowerCase()}.x`, `m${i}`);
    const replay = 'sink-replay-1';
    for (const name of [replay, 'live']) await jsm.consumers.add(stream, { durable_name: name, ack_policy: AckPolicy.Explicit });
    // The replay holds three messages, unacked; the live consumer holds two, which nothing waits for.
    const held = await (await js.consumers.get(stream, replay)).fetch({ max_messages: 3, expires: 2000 });
    const inHand = [];
    for await (const msg of held) inHand.push(msg);
    const live = await (await js.consumers.get(stream, 'live')).fetch({ max_messages: 2, expires: 2000 });
    for await (const msg of live) void msg;
    expect(inHand.length).toBe(3);

    const delivered = await deliveredUpTo(jsm, stream, 'sink-replay-');
    expect([...delivered]).toEqual([[replay, 3]]);
    const waits: string[] = [];
    let resolved = false;
    const waiting = waitForDelivered(
      jsm,
      stream,
      delivered,
      async () => true,
      (what) => waits.push(what),
      new AbortController().signal,
    ).then(() => (resolved = true));
    // It says it waits, and for the replay only; then the replay acks, and it resolves.
    await waitFor('the wait to say what it waits for', () => (waits.length > 0 ? true : undefined));
    expect(resolved).toBe(false);
    expect(waits[0]).toMatch(/sink-replay-1 at 0 of 3/);
    for (const msg of inHand) await msg.ackAck();
    await waiting;
    expect(resolved).toBe(true);

    // A replay consumer that is gone is not waited for, whatever it held.
    const more = await (await js.consumers.get(stream, replay)).fetch({ max_messages: 2, expires: 2000 });
    for await (const msg of more) void msg;
    const deliveredAgain = await deliveredUpTo(jsm, stream, 'sink-replay-');
    expect(deliveredAgain.get(replay)).toBe(5);
    // Nor one no process runs: what it holds comes again, and is checked again.
    const notInUse: string[] = [];
    await waitForDelivered(
      jsm,
      stream,
      deliveredAgain,
      async (name) => name !== replay,
      (what) => notInUse.push(what),
      new AbortController().signal,
    );
    expect(notInUse).toEqual([]);
    await jsm.consumers.delete(stream, replay);
    const before = waits.length;
    await waitForDelivered(
      jsm,
      stream,
      deliveredAgain,
      async () => true,
      (what) => waits.push(what),
      new AbortController().signal,
    );
    expect(waits.length).toBe(before);
  } finally {
    await nc.close();
  }
});
