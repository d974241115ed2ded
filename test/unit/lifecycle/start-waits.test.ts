/** StartWaits: set-up steps retried until they succeed, fail for good, run out of time, or are cancelled; and which failures are permanent. */
import { JetStreamApiError } from '@nats-io/jetstream';
import pino from 'pino';
import { StartCancelled, StartFailed, StartWaits } from '../../../src/lifecycle/start-waits';
import { permanentSetUpFailure } from '../../../src/storage/error-class';
import { permanentNatsFailure } from '../../../src/stream/set-up';

const logger = pino({ level: 'silent' });

/** A step that fails `failures` times with `error`, then resolves with "done". */
function flaky(failures: number, error: unknown = new Error('connection refused')) {
  let calls = 0;
  return {
    step: async () => {
      calls++;
      if (calls <= failures) throw error;
      return 'done';
    },
    calls: () => calls,
  };
}

it('retries a step until it succeeds, and says what it waits for meanwhile', async () => {
  const waits = new StartWaits(logger, 60_000);
  const readiness = waits.readiness('gateway');
  expect(readiness()).toBe('starting');
  const step = flaky(2);
  const seen: string[] = [];
  const watcher = setInterval(() => seen.push(readiness()), 20);
  await expect(waits.step('gateway', 'NATS at nats://x', step.step)).resolves.toBe('done');
  clearInterval(watcher);
  expect(step.calls()).toBe(3);
  expect(seen).toContain('starting: waiting for NATS at nats://x: connection refused');
  expect(readiness()).toBe('starting');
});

it('gives up at the deadline with what it waited for and the last reason', async () => {
  const waits = new StartWaits(logger, 1_000);
  const failure = await waits.step('sink', 'ClickHouse', flaky(Infinity).step).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(StartFailed);
  expect((failure as Error).message).toMatch(/^tributary could not start: ClickHouse: connection refused \(waited \ds\)$/);
});

it('gives up at once on a permanent failure', async () => {
  const step = flaky(Infinity, new Error('refused'));
  const failure = await new StartWaits(logger, 60_000).step('sink', 'ClickHouse', step.step, () => true).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(StartFailed);
  expect(step.calls()).toBe(1);
});

it('ends with StartCancelled as soon as the signal aborts', async () => {
  const cancel = new AbortController();
  const waiting = new StartWaits(logger, 60_000, cancel.signal).step('gateway', 'NATS', flaky(Infinity).step);
  setTimeout(() => cancel.abort(), 50);
  await expect(waiting).rejects.toBeInstanceOf(StartCancelled);
});

const apiError = (code: number, err_code: number) => new JetStreamApiError({ code, err_code, description: 'x' });

it.each([
  ['a refused user', true, Object.assign(new Error('x'), { name: 'AuthorizationError' })],
  [
    'a request the server refused to carry (a stream update the user may not make)',
    true,
    Object.assign(new Error('x', { cause: Object.assign(new Error('Permissions Violation for Publish'), { name: 'PermissionViolationError' }) }), { name: 'RequestError' }),
  ],
  ['a request that timed out', false, Object.assign(new Error('x', { cause: Object.assign(new Error('timeout'), { name: 'TimeoutError' }) }), { name: 'RequestError' })],
  ['a stream definition the server refuses', true, apiError(400, 10058)],
  ['replicas on a single server', true, apiError(500, 10074)],
  ['a cluster without enough peers yet', false, apiError(400, 10005)],
  ['JetStream temporarily unavailable', false, apiError(503, 10008)],
  ['a refused connection', false, new Error('CONNECTION_REFUSED')],
])('NATS: %s is permanent: %s', (_, permanent, error) => {
  expect(permanentNatsFailure(error)).toBe(permanent);
});

it.each([
  ['an unsupported version', true, Object.assign(new Error('old'), { name: 'UnsupportedVersionError' })],
  ['a refused password', true, Object.assign(new Error('x'), { type: 'AUTHENTICATION_FAILED' })],
  ['a server that is down', false, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
  ['a server error', false, Object.assign(new Error('x'), { type: 'TIMEOUT_EXCEEDED' })],
])('ClickHouse: %s is permanent: %s', (_, permanent, error) => {
  expect(permanentSetUpFailure(error)).toBe(permanent);
});
