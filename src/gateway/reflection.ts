/**
 * gRPC server reflection from the descriptor sets that `buf build` writes next
 * to the generated code, the contract's and grpc.health.v1's (from
 * grpc-health-check's health.proto), so `buf curl` and grpcurl need no schema
 * file. The files are handed over as the compiler wrote them: ts-proto's
 * descriptors cannot resolve imported types, and @grpc/proto-loader's
 * re-encoding merges files and drops their imports (buf cannot use the
 * health file it makes).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { Server } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { INGEST_SERVICE_NAME } from './health';

/** Where `make proto` writes the contract's descriptor set (copied beside the build by `make build`). */
export const DESCRIPTOR_SET_PATH = join(__dirname, '..', 'gen', 'descriptor-set.binpb');

/** Where `make proto` writes grpc.health.v1's descriptor set. */
const HEALTH_DESCRIPTOR_SET_PATH = join(__dirname, '..', 'gen', 'health-descriptor-set.binpb');

/** The encoded FileDescriptorProtos of a FileDescriptorSet (its repeated field 1), byte for byte. */
function fileDescriptorProtos(set: Uint8Array): Buffer[] {
  const reader = new BinaryReader(set);
  const files: Buffer[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) files.push(Buffer.from(reader.bytes()));
    else reader.skip(wireType, field);
  }
  return files;
}

/** Serves grpc.reflection v1 and v1alpha for the contract and the health service on `server`. */
export function addReflection(server: Server): void {
  const files = [DESCRIPTOR_SET_PATH, HEALTH_DESCRIPTOR_SET_PATH].flatMap((path) => fileDescriptorProtos(readFileSync(path)));
  // ReflectionService indexes only the fileDescriptorProtos of each entry, so
  // one entry that carries every file of the set describes the whole contract.
  const definition = { [INGEST_SERVICE_NAME]: { format: 'Protocol Buffer 3 DescriptorProto', type: {}, fileDescriptorProtos: files } };
  new ReflectionService(definition as unknown as PackageDefinition).addToServer(server);
}
