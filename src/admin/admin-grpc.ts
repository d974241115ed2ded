/**
 * AdminService on grpc-js: the generated definition with request readers
 * that never throw (a message that cannot be decoded is answered
 * INVALID_ARGUMENT, not grpc-js's INTERNAL), and one unary handler per
 * method over the regulations and tasks APIs. The gateway's auth interceptor admits
 * only the admin key before any handler runs.
 */
import type { sendUnaryData, ServerUnaryCall, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { toServiceError } from '../errors/grpc-status';
import { AdminServiceService } from '../gen/tributary/admin/v1/admin_service';
import { ADMIN_METHODS, decodeAdminRequest, type AdminApis } from './admin-methods';

/** A request that could not be decoded, kept until its handler answers it. */
type Read = { readonly request: unknown } | { readonly failure: unknown };

/** AdminService's definition, reading requests without throwing. */
export function adminServiceDefinition(): ServiceDefinition {
  return Object.fromEntries(
    ADMIN_METHODS.map((m) => {
      const requestDeserialize = (buffer: Buffer): Read => {
        try {
          return { request: decodeAdminRequest(() => m.request.decode(buffer), m.name + 'Request') };
        } catch (failure) {
          return { failure };
        }
      };
      return [m.key, { ...AdminServiceService[m.key], requestDeserialize }];
    }),
  );
}

/** The handlers, for calls the interceptor admitted. */
export function adminHandlers(apis: AdminApis): UntypedServiceImplementation {
  return Object.fromEntries(
    ADMIN_METHODS.map((m) => [
      m.key,
      (call: ServerUnaryCall<Read, unknown>, callback: sendUnaryData<unknown>) => {
        const read = call.request;
        Promise.resolve()
          .then(() => {
            if ('failure' in read) throw read.failure;
            return m.run(apis, read.request);
          })
          .then(
            (response) => callback(null, response),
            (error: unknown) => callback(toServiceError(error)),
          );
      },
    ]),
  );
}
