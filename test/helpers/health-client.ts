/** A grpc.health.v1 client, loaded from the proto that grpc-health-check ships. */
import { credentials, loadPackageDefinition, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath } from 'grpc-health-check';

type HealthClient = Client & {
  check(request: { service: string }, callback: (error: ServiceError | null, response: { status: string }) => void): void;
};

const definition = loadPackageDefinition(loadSync(protoPath, { enums: String })) as unknown as {
  grpc: { health: { v1: { Health: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => HealthClient } } };
};

/** Asks the server at `port` for the health of `service` ("" for the whole server). */
export function checkHealth(port: number, service = ''): Promise<string> {
  const client = new definition.grpc.health.v1.Health(`127.0.0.1:${port}`, credentials.createInsecure());
  return new Promise<string>((resolve, reject) => {
    client.check({ service }, (error, response) => {
      client.close();
      if (error === null) resolve(response.status);
      else reject(error);
    });
  });
}
