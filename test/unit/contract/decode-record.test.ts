/**
 * Records that do not decode are rejected one by one, with an UPPER_SNAKE
 * reason, the event id they seem to carry, and the payload field when that
 * is what nests too deep (otherwise an empty field path): one case per way
 * the bytes can fail, next to a record that decodes.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { decodeRecord, Reason } from '../../../src/contract';
import { Record } from '../../../src/gen/tributary/ingest/v1/record';
import { trackRecord } from '../../helpers/records';

const encode = (record: Record): Uint8Array => Record.encode(record).finish();

/** A track whose data nests `depth` objects deep. */
function nested(depth: number): Record {
  let data: { [key: string]: unknown } = { leaf: true };
  for (let i = 0; i < depth; i++) data = { inner: data };
  const record = trackRecord('evt_deep');
  if (record.kind?.$case === 'event' && record.kind.value.call?.$case === 'track') record.kind.value.call.value.data = data;
  return record;
}

/** A track whose name is `bytes`, which need not be UTF-8. */
function withName(bytes: Uint8Array): Uint8Array {
  const placeholder = 'NAME_PLACEHOLDER';
  const encoded = Buffer.from(encode(trackRecord('evt_bad_utf8', placeholder)));
  const at = encoded.indexOf(placeholder);
  expect(bytes.length).toBe(placeholder.length);
  Buffer.from(bytes).copy(encoded, at);
  return encoded;
}

/** A product whose data nests `depth` objects deep. */
function nestedProduct(depth: number): Record {
  let data: { [key: string]: unknown } = { leaf: true };
  for (let i = 0; i < depth; i++) data = { inner: data };
  return Record.fromPartial({ eventId: 'evt_deep_product', kind: { $case: 'product', value: { productId: 'p1', data } } });
}

const CASES: [string, Uint8Array, string, string, string][] = [
  ['nesting past the decoder limit, in a track', encode(nested(60)), 'event.track.data', Reason.TOO_DEEP, 'evt_deep'],
  ['nesting past the decoder limit, in a product', encode(nestedProduct(60)), 'product.data', Reason.TOO_DEEP, 'evt_deep_product'],
  ['a string that is not UTF-8', withName(Buffer.from('NAME_\xff\xfe_HOLDER!!', 'latin1').subarray(0, 16)), '', Reason.UNDECODABLE, 'evt_bad_utf8'],
  ['a truncated embedded message', encode(trackRecord('evt_truncated')).slice(0, -3), '', Reason.UNDECODABLE, 'evt_truncated'],
  [
    'a length past the end',
    new BinaryWriter()
      .uint32(10)
      .string('evt_overrun')
      .uint32(26)
      .uint32(200)
      .raw(Uint8Array.of(1, 2, 3))
      .finish(),
    '',
    Reason.UNDECODABLE,
    'evt_overrun',
  ],
];

it.each(CASES)('rejects %s on its own, with its event id', (_, bytes, field, reason, eventId) => {
  const decoded = decodeRecord(bytes);
  expect(decoded).toEqual({ violation: { field, reason, message: expect.any(String) }, eventId });
});

it('decodes a record that is well formed, deep structs within the limit included', () => {
  const fine = encode(trackRecord('evt_fine'));
  expect(decodeRecord(fine)).toEqual({ record: Record.decode(fine) });
  expect('record' in decodeRecord(encode(nested(20)))).toBe(true);
});
