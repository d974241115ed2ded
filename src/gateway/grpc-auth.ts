/**
 * Authentication of gRPC calls before a byte of their messages is read: a
 * server interceptor checks each IngestService call's key (and each
 * AdminService call's admin key) on its metadata,
 * through the AuthGate (so failures are throttled per client address), and
 * ends a call that fails with its status while grpc-js has not yet read,
 * decompressed or decoded the request. An authenticated call goes on with its
 * source in its metadata. Every call that goes on (of any service) gets its
 * response headers at once: that is how the gRPC-Web bridge knows it may
 * send the body. Handlers therefore send no response headers of their own.
 */
import { Metadata, ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { toServiceError } from '../errors/grpc-status';
import { IngestError } from '../errors/ingest-error';
import { BEARER_HINT, bearerToken } from './auth';
import type { AuthGate } from './auth-gate';
import { callClientAddress } from './client-address';

/** The metadata key that carries the source the interceptor authenticated; any value a caller sends is dropped. */
const SOURCE_KEY = 'x-tributary-source';

/** The methods that need a source's key. */
const INGEST_SERVICE = '/tributary.ingest.v1.IngestService/';
/** The methods that need the admin key. */
const ADMIN_SERVICE = '/tributary.admin.v1.AdminService/';

function authorizationOf(metadata: Metadata): string | undefined {
  const value = metadata.get('authorization')[0];
  return typeof value === 'string' ? value : undefined;
}

/** The interceptor that authenticates IngestService calls (a source's key) and AdminService calls (the admin key) from their metadata; `trustedProxies` as for X-Forwarded-For. */
export function authInterceptor(gate: AuthGate, trustedProxies: readonly string[]): ServerInterceptor {
  return (method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, goOn) => {
            metadata.remove(SOURCE_KEY);
            const proceed = (): void => {
              call.sendMetadata(new Metadata());
              goOn(metadata);
            };
            const admin = method.path.startsWith(ADMIN_SERVICE);
            if (!admin && !method.path.startsWith(INGEST_SERVICE)) return proceed();
            const address = callClientAddress(metadata, call.getConnectionInfo().remoteAddress, trustedProxies);
            if (admin) {
              gate.authenticateAdmin(address, () => bearerToken(authorizationOf(metadata))).then(proceed, (error: unknown) => call.sendStatus(toServiceError(error)));
              return;
            }
            gate
              .authenticate(address, () => bearerToken(authorizationOf(metadata)), BEARER_HINT)
              .then(
                (source) => {
                  metadata.set(SOURCE_KEY, source);
                  proceed();
                },
                (error: unknown) => call.sendStatus(toServiceError(error)),
              );
          },
        }),
    });
}

/** The source the interceptor authenticated a call as; a call it did not pass has none, and is refused. */
export function sourceOf(metadata: Metadata): string {
  const [source] = metadata.get(SOURCE_KEY);
  if (typeof source !== 'string') throw new IngestError('MISSING_API_KEY', BEARER_HINT);
  return source;
}
