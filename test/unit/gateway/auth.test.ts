/** API-key authentication: bearer keys name their source; anything else is UNAUTHENTICATED with its reason. */
import { status } from '@grpc/grpc-js';
import { digestKey } from '../../../src/config/parsers';
import { IngestError } from '../../../src/errors/ingest-error';
import { ApiKeyRing, BEARER_HINT, bearerToken } from '../../../src/gateway/auth';

const ring = new ApiKeyRing([
  { digest: digestKey('first-key-000000001'), source: 'first' },
  { digest: digestKey('second-key-00000002'), source: 'second' },
]);

const failure = (authorization: string | undefined): IngestError => {
  try {
    ring.sourceForKey(bearerToken(authorization), BEARER_HINT);
  } catch (error) {
    return error as IngestError;
  }
  throw new Error('authenticated');
};

it('maps each bearer key to its source, in any case of the scheme', () => {
  expect(ring.sourceForKey(bearerToken('Bearer first-key-000000001'), BEARER_HINT)).toBe('first');
  expect(ring.sourceForKey(bearerToken('bearer second-key-00000002'), BEARER_HINT)).toBe('second');
});

it('refuses a missing header, another scheme and an unknown key', () => {
  expect(failure(undefined)).toMatchObject({ reason: 'MISSING_API_KEY', message: BEARER_HINT });
  expect(failure('Basic Zmlyc3Q6a2V5').reason).toBe('MISSING_API_KEY');
  const unknown = failure('Bearer first-key-000000002');
  expect(unknown.reason).toBe('UNKNOWN_API_KEY');
  expect(unknown.code).toBe(status.UNAUTHENTICATED);
  expect(unknown.message).not.toContain('first-key');
});
