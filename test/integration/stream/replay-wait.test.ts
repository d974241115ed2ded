/**
 * Erasure's wait for replays and redrives, against a real nats-server: it
 * notes where each replay consumer had delivered to, and resolves only once
 * each has acked that far (or is gone, or no process runs it); consumers of
 * other names are not waited for. It notes how far each running redrive
 * held by a live lease has read, and resolves once each has read further
 * (or ended, or lost its lease).
 */
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { deliveredUpTo, waitForDelivered } from '../../../src/stream/stream-erasure';
import { NatsLink } from '../../../src/stream/connection';
import { redrivesInHand, waitForRedrives } from '../../../src/tasks/redrive-pages';
import { NO_PROGRESS, TaskStore, tasksBucket, type TaskState } from '../../../src/tasks/task-store';
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

it('waits until each redrive a process runs has sent the page it held, and for no redrive ended or without a lease', async () => {
  const link = await NatsLink.open(nats.url, 'test', pino({ level: 'silent' }));
  try {
    const store = await TaskStore.open(link, tasksBucket(`W_${randomBytes(4).toString('hex')}`), 1);
    const now = Date.now();
    const redrive = (id: string, over: Partial<TaskState>): TaskState => ({
      id,
      kind: 'REDRIVE',
      phase: 'RUNNING',
      redrive: { reasons: [], sources: [], rate: 1000 },
      progress: { ...NO_PROGRESS, read: 500, lastSeq: 900 },
      createdAt: new Date(now).toISOString(),
      cancelRequested: false,
      lease: { owner: 'sink-a', until: now + 60_000 },
      ...over,
    });
    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await store.create(redrive(ids[0], {}));
    await store.create(redrive(ids[1], { lease: { owner: 'sink-b', until: now - 1000 } }));
    await store.create(redrive(ids[2], { phase: 'FINISHED', lease: undefined }));
    await store.create({ ...redrive(ids[3], {}), kind: 'REPLAY', redrive: undefined });

    const inHand = await redrivesInHand(store, Date.now());
    expect([...inHand]).toEqual([[ids[0], 500]]);
    const waits: string[] = [];
    let resolved = false;
    const waiting = waitForRedrives(store, inHand, (what) => waits.push(what), new AbortController().signal).then(() => (resolved = true));
    await waitFor('the wait to say what it waits for', () => (waits.length > 0 ? true : undefined));
    expect([resolved, waits[0]]).toEqual([false, expect.stringContaining(ids[0])]);
    // Its lease renewed without progress: still waiting; its next page read: done.
    await store.change(ids[0], (state) => ({ ...state, lease: { owner: 'sink-a', until: Date.now() + 60_000 } }));
    expect(resolved).toBe(false);
    await store.change(ids[0], (state) => ({ ...state, progress: { ...state.progress, read: 700, lastSeq: 1200 } }));
    await waiting;
    expect(resolved).toBe(true);
  } finally {
    await link.drain();
  }
});
