/**
 * How `send` picks its transport: plaintext only to this machine unless
 * --insecure says so, TLS whenever a TLS option is given, and options that
 * contradict each other refused with a reason.
 */
import { channelCredentials } from '../../../src/cli/channel';

const refusal = (address: string, options: Parameters<typeof channelCredentials>[1]): string => {
  try {
    channelCredentials(address, options);
    return 'allowed';
  } catch (error) {
    return (error as Error).message;
  }
};

it('sends in plaintext only to a loopback address, unless told to', () => {
  for (const address of ['127.0.0.1:50051', 'localhost:50051', '[::1]:50051']) expect(refusal(address, {})).toBe('allowed');
  expect(refusal('gateway.example.com:50051', {})).toBe('gateway.example.com:50051 is not this machine: send over TLS (--tls, or --ca-file <pem>), or pass --insecure to send in plaintext anyway');
  expect(refusal('10.1.2.3:50051', { insecure: true })).toBe('allowed');
  expect(refusal('gateway.example.com:443', { tls: true })).toBe('allowed');
});

it('refuses options that contradict each other', () => {
  expect(refusal('127.0.0.1:50051', { tls: true, insecure: true })).toMatch(/does not go with --tls/);
  expect(refusal('127.0.0.1:50051', { clientCertFile: 'c.pem' })).toBe('--client-cert-file and --client-key-file go together');
});
