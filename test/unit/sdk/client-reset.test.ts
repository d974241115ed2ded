/** The SDK client's reset(): a new anonymous profile and session, the user forgotten, for shared devices. */
import { TributaryClient } from '../../../sdk/src/client';
import { CapturingTransport } from '../../helpers/capturing-transport';

it('starts a new anonymous profile and session, and forgets the user', async () => {
  const transport = new CapturingTransport();
  const made: string[] = [];
  const client = new TributaryClient(transport, { platform: 'web', profileId: 'anon_1', batchSize: 1, library: { name: 't', version: '0' }, newProfileId: () => `anon_${made.push('x') + 1}` });
  await client.identify('user@example.com');
  await client.track('Before');
  expect(client.reset()).toBe('anon_2');
  await client.track('After');
  await client.close();
  const [identify, before, after] = transport.events;
  expect([identify.profileId, before.profileId, after.profileId]).toEqual(['anon_1', 'anon_1', 'anon_2']);
  expect([before.userId, after.userId]).toEqual(['user@example.com', '']);
  expect(after.sessionId).not.toBe(before.sessionId);
  expect(after.sessionId).not.toBe('');
});

it('makes a UUIDv7 profile id by default', () => {
  const client = new TributaryClient(new CapturingTransport(), { library: { name: 't', version: '0' } });
  expect(client.reset()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  void client.close();
});
