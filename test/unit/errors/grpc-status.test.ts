/** The retry contract on the server's side: RetryInfo (and so Retry-After) comes from the error table's retryable flag, in one place, for every reason. */
import { toRpcStatus } from '../../../src/errors/grpc-status';
import { ERROR_REASONS, IngestError, RETRY_AFTER_MS, type ErrorReason } from '../../../src/errors/ingest-error';
import { RetryInfo } from '../../../src/gen/google/rpc/error_details';

it.each(Object.keys(ERROR_REASONS) as ErrorReason[])('%s carries RetryInfo exactly when the table calls it retryable', (reason) => {
  const error = new IngestError(reason, 'x');
  const retry = toRpcStatus(error).details.find((d) => d.typeUrl === 'type.googleapis.com/google.rpc.RetryInfo');
  expect(retry !== undefined).toBe(ERROR_REASONS[reason].retryable);
  if (retry !== undefined) expect(RetryInfo.decode(retry.value).retryDelay).toEqual({ seconds: RETRY_AFTER_MS / 1000, nanos: 0 });
  expect(error.retryAfterMs).toBe(ERROR_REASONS[reason].retryable ? RETRY_AFTER_MS : undefined);
});
