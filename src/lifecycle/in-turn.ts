/**
 * Work that takes turns: each task starts once the one before it has
 * settled, whether it succeeded or failed. Used where one resource must see
 * one task at a time (a chDB session of admin queries; the identity
 * decisions of one process).
 */

/** A queue of tasks run one at a time, in the order given. */
export class InTurn {
  private last: Promise<unknown> = Promise.resolve();

  /** Runs `task` once every task given before it has settled; settles as it does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const mine = this.last.then(task);
    this.last = mine.catch(() => undefined);
    return mine;
  }

  /** Settles once every task given so far has settled. */
  async idle(): Promise<void> {
    await this.last;
  }
}
