/** InTurn: tasks run one at a time in the order given, and a failed task does not stop the next. */
import { InTurn } from '../../../src/lifecycle/in-turn';

it('runs tasks one at a time, in order, past a failure', async () => {
  const turns = new InTurn();
  const log: string[] = [];
  let release: () => void = () => undefined;
  const first = turns.run(() => new Promise<string>((resolve) => (release = () => resolve('a'))).finally(() => log.push('a done')));
  const second = turns.run(async () => {
    log.push('b started');
    throw new Error('b failed');
  });
  const third = turns.run(async () => (log.push('c started'), 'c'));
  await Promise.resolve();
  expect(log).toEqual([]);
  release();
  expect(await first).toBe('a');
  await expect(second).rejects.toThrow('b failed');
  expect(await third).toBe('c');
  await turns.idle();
  expect(log).toEqual(['a done', 'b started', 'c started']);
});
