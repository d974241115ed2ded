/**
 * Where the running redrives are, for an erasure. A redrive checks a page
 * of dead letters against the holds (erasures' keys among them) and then
 * sends it through its stages; a page checked before an erasure wrote its
 * keys may store the person's records after. So an erasure, once its keys
 * are written, notes how far each redrive a process runs (a live lease) has
 * read, and waits until each has finished the page it had in hand: its
 * progress moved on, it ended, or no process holds it any more.
 */
import { sleep } from '../lifecycle/backoff';
import { leased } from './task-lease';
import type { TaskStore } from './task-store';

/** How often the wait looks again. */
const POLL_MS = 250;

/** The running redrives a process holds, by task id, with the dead letters each has read. */
export async function redrivesInHand(store: TaskStore, nowMs: number): Promise<Map<string, number>> {
  const running = (await store.list()).filter((task) => task.kind === 'REDRIVE' && task.phase === 'RUNNING' && leased(task, nowMs));
  return new Map(running.map((task) => [task.id, task.progress.read]));
}

/** Waits until each redrive of `inHand` has read past its count there, ended, or lost its lease; `onWait` hears why it waits. */
export async function waitForRedrives(store: TaskStore, inHand: ReadonlyMap<string, number>, onWait: (what: string) => void, signal: AbortSignal): Promise<void> {
  for (;;) {
    const behind: string[] = [];
    for (const [id, read] of inHand) {
      const task = await store.get(id);
      if (task !== undefined && task.phase === 'RUNNING' && leased(task, Date.now()) && task.progress.read <= read) behind.push(id);
    }
    if (behind.length === 0) return;
    onWait(`waiting for the redrives to send the page they hold (${behind.join(', ')})`);
    await sleep(POLL_MS, signal);
  }
}
