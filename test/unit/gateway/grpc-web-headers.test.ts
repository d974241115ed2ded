/** What the gRPC-Web bridge passes as metadata each way, and the CORS headers it adds. */
import { CorsPolicy } from '../../../src/gateway/cors';
import { requestMetadata, responseMetadata } from '../../../src/gateway/grpc-web-bridge';

it('passes metadata of the browser request, not the headers of HTTP/1 or the browser', () => {
  expect(
    requestMetadata({
      host: 'x',
      origin: 'http://a',
      'content-type': 'application/grpc-web',
      'content-length': '9',
      'sec-fetch-mode': 'cors',
      'x-grpc-web': '1',
      authorization: 'Bearer k',
      'grpc-timeout': '5S',
      'x-request-id': 'r1',
    }),
  ).toEqual({ authorization: 'Bearer k', 'grpc-timeout': '5S', 'x-request-id': 'r1' });
});

it('passes response metadata, not pseudo-headers or the content type', () => {
  expect(responseMetadata({ ':status': '200', 'content-type': 'application/grpc', 'grpc-encoding': 'identity', 'x-trace': 't', 'grpc-status': '0' })).toEqual({ 'x-trace': 't', 'grpc-status': '0' });
});

describe('CorsPolicy', () => {
  const policy = new CorsPolicy(['https://app.example.com']);

  it('allows configured origins and requests without an origin, and nothing else', () => {
    expect(policy.allows('https://app.example.com')).toBe(true);
    expect(policy.allows(undefined)).toBe(true);
    expect(policy.allows('https://other.example.com')).toBe(false);
    expect(new CorsPolicy([]).allows('https://app.example.com')).toBe(false);
    expect(new CorsPolicy(['*']).allows('https://any.example.com')).toBe(true);
    const anyPort = new CorsPolicy(['http://localhost:*']);
    expect(['http://localhost:5173', 'http://localhost', 'https://localhost:5173', 'http://localhost.evil:1'].map((o) => anyPort.allows(o))).toEqual([true, true, false, false]);
  });

  it('exposes the status trailers and the response metadata to the page', () => {
    expect(policy.responseHeaders('https://app.example.com', ['x-trace'])).toEqual({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-expose-headers': 'grpc-status, grpc-message, grpc-status-details-bin, x-trace',
      vary: 'origin',
    });
    expect(policy.responseHeaders(undefined, [])).toEqual({});
  });
});
