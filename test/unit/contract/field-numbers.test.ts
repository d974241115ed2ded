/**
 * The wire readers' field numbers (src/contract/wire/field-numbers.ts)
 * against the descriptor set `buf build` writes: every table of the module
 * names a message, and lists each of its fields, by proto3 JSON name, with
 * the number the descriptors give it, and nothing else.
 */
import { readFileSync } from 'node:fs';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema, type DescriptorProto } from '@bufbuild/protobuf/wkt';
import * as numbers from '../../../src/contract/wire/field-numbers';
import { DESCRIPTOR_SET_PATH } from '../../../src/gateway/reflection';

/** Each table's message, by its full name. */
const MESSAGES: { readonly [table in keyof typeof numbers]: string } = {
  TIMESTAMP: 'google.protobuf.Timestamp',
  STRUCT: 'google.protobuf.Struct',
  MAP_ENTRY: 'google.protobuf.Struct.FieldsEntry',
  VALUE: 'google.protobuf.Value',
  LIST_VALUE: 'google.protobuf.ListValue',
  ENVELOPE: 'tributary.ingest.v1.Envelope',
  RECORD: 'tributary.ingest.v1.Record',
  BEHAVIORAL_EVENT: 'tributary.ingest.v1.BehavioralEvent',
  TRACK_CALL: 'tributary.ingest.v1.TrackCall',
  IDENTIFY_CALL: 'tributary.ingest.v1.IdentifyCall',
  ALIAS_CALL: 'tributary.ingest.v1.AliasCall',
  GROUP_CALL: 'tributary.ingest.v1.GroupCall',
  CONSENT_CALL: 'tributary.ingest.v1.ConsentCall',
  PAGE_CALL: 'tributary.ingest.v1.PageCall',
  CONTEXT: 'tributary.ingest.v1.Context',
  CONTEXT_LIBRARY: 'tributary.ingest.v1.Context.Library',
  CONTEXT_DEVICE: 'tributary.ingest.v1.Context.Device',
  CONTEXT_OS: 'tributary.ingest.v1.Context.Os',
  CONTEXT_APP: 'tributary.ingest.v1.Context.App',
  CONTEXT_CAMPAIGN: 'tributary.ingest.v1.Context.Campaign',
  PRODUCT_RECORD: 'tributary.ingest.v1.ProductRecord',
};

/** Every message of the descriptor set, nested ones and map entries too, by full name. */
const descriptors = new Map<string, DescriptorProto>();
const add = (scope: string, messages: readonly DescriptorProto[]): void => {
  for (const message of messages) {
    descriptors.set(`${scope}.${message.name}`, message);
    add(`${scope}.${message.name}`, message.nestedType);
  }
};
for (const file of fromBinary(FileDescriptorSetSchema, readFileSync(DESCRIPTOR_SET_PATH)).file) add(file.package, file.messageType);

it('has a message for every table', () => {
  expect(Object.keys(numbers).sort()).toEqual(Object.keys(MESSAGES).sort());
});

it.each(Object.entries(MESSAGES))('%s has the field numbers of %s', (table, typeName) => {
  const message = descriptors.get(typeName);
  expect(message).toBeDefined();
  const fields = Object.fromEntries((message as DescriptorProto).field.map((field) => [field.jsonName, field.number]));
  expect(numbers[table as keyof typeof numbers]).toEqual(fields);
});
