/**
 * The client address behind a connection: the TCP peer, or X-Forwarded-For's
 * right-most untrusted hop when the peer is a trusted proxy; for a gRPC call,
 * the browser's peer passed by this process's bridge, believed only with the
 * bridge's token (a caller that sets the header itself is not believed).
 */
import { Metadata } from '@grpc/grpc-js';
import { bridgePeerHeaders, callClientAddress, clientAddress } from '../../../src/gateway/client-address';

const metadataOf = (headers: { [name: string]: string }): Metadata => {
  const metadata = new Metadata();
  for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
  return metadata;
};

it('is the peer, or behind a trusted proxy the right-most hop that is not one', () => {
  expect(clientAddress('::ffff:203.0.113.9', '198.51.100.1', [])).toBe('203.0.113.9');
  expect(clientAddress('10.0.0.1', '198.51.100.1, 203.0.113.7, 10.0.0.2', ['10.0.0.1', '10.0.0.2'])).toBe('203.0.113.7');
  expect(clientAddress('10.0.0.1', ['198.51.100.1', '10.0.0.2'], ['10.0.0.1', '10.0.0.2'])).toBe('198.51.100.1');
});

it("takes the browser's peer from the bridge, and from no one else", () => {
  const bridged = metadataOf(bridgePeerHeaders('::ffff:203.0.113.5'));
  expect(callClientAddress(bridged, '127.0.0.1', [])).toBe('203.0.113.5');
  const forged = metadataOf({ 'x-tributary-bridge': '0'.repeat(32), 'x-tributary-bridge-peer': '203.0.113.5' });
  expect(callClientAddress(forged, '192.0.2.8', [])).toBe('192.0.2.8');
  const forwarded = metadataOf({ ...bridgePeerHeaders('10.0.0.1'), 'x-forwarded-for': '198.51.100.4' });
  expect(callClientAddress(forwarded, '127.0.0.1', ['10.0.0.1'])).toBe('198.51.100.4');
  expect(callClientAddress(metadataOf({ 'x-forwarded-for': '198.51.100.4' }), '127.0.0.1', [])).toBe('127.0.0.1');
});
