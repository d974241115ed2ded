/** grpcTarget: the SDK's gRPC transport sends in plaintext only to this machine, or where the caller says `insecure`. */
import { grpcTarget } from '../../../sdk/src/grpc-transport';

it.each([
  ['a bare address on this machine', '127.0.0.1:50051', undefined, false, { address: '127.0.0.1:50051', secure: false }],
  ['localhost and ::1', 'localhost:50051', undefined, false, { address: 'localhost:50051', secure: false }],
  ['IPv6 loopback in brackets', 'grpc://[::1]:50051', undefined, false, { address: '[::1]:50051', secure: false }],
  ['a bare address elsewhere: TLS by default', 'ingest.example.com:443', undefined, false, { address: 'ingest.example.com:443', secure: true }],
  ['grpcs:// anywhere', 'grpcs://127.0.0.1:50051', undefined, false, { address: '127.0.0.1:50051', secure: true }],
  ['a CA given', '10.0.0.5:50051', { ca: 'pem' }, false, { address: '10.0.0.5:50051', secure: true }],
  ['grpc:// elsewhere when insecure is asked for', 'grpc://10.0.0.5:50051', undefined, true, { address: '10.0.0.5:50051', secure: false }],
])('%s', (_, url, tls, insecure, target) => {
  expect(grpcTarget(url, tls, insecure)).toEqual(target);
});

it('refuses grpc:// off this machine without insecure, and insecure beside TLS', () => {
  expect(() => grpcTarget('grpc://10.0.0.5:50051', undefined)).toThrow('would send the API key in plaintext off this machine');
  expect(() => grpcTarget('grpcs://10.0.0.5:50051', undefined, true)).toThrow('does not go with');
  expect(() => grpcTarget('10.0.0.5:50051', { ca: 'pem' }, true)).toThrow('does not go with');
});
