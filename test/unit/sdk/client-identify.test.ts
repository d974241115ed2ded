/** The SDK client's identify: the user id on the event, and the user_hash of identity verification on the call when given. */
import { TributaryClient } from '../../../sdk/src/client';
import { CapturingTransport } from '../../helpers/capturing-transport';

it('puts the userHash on the identify call, and leaves it out when none is given', async () => {
  const transport = new CapturingTransport();
  const client = new TributaryClient(transport, { profileId: 'anon_1', batchSize: 1, library: { name: 't', version: '0' } });
  await client.identify('ada@example.com', { plan: 'pro' }, { userHash: 'ab12', accountId: 'acct_1' });
  await client.identify('bob@example.com');
  await client.close();
  const [verified, plain] = transport.events;
  expect(verified).toMatchObject({ userId: 'ada@example.com', accountId: 'acct_1', call: { $case: 'identify', value: { userAttributes: { plan: 'pro' }, userHash: 'ab12' } } });
  expect(plain.userId).toBe('bob@example.com');
  // JSON drops what is undefined: the call carries neither attributes nor a hash.
  expect(JSON.parse(JSON.stringify(plain.call))).toEqual({ $case: 'identify', value: {} });
});
