/** The base64 ("-text") form of gRPC-Web: decoding concatenated padded chunks, encoding across chunk edges. */
import { Base64Decoder, Base64Encoder } from '../../../src/gateway/grpc-web-text';

const bytes = Buffer.from(Array.from({ length: 50 }, (_, i) => (i * 37) % 256));

it('decodes padded chunks one after another, arriving in pieces of any size', () => {
  const text = [bytes.subarray(0, 7), bytes.subarray(7, 8), bytes.subarray(8)].map((b) => b.toString('base64')).join('');
  for (const size of [1, 3, 4, 5, 64]) {
    const decoder = new Base64Decoder();
    const parts: Buffer[] = [];
    for (let at = 0; at < text.length; at += size) parts.push(decoder.push(text.slice(at, at + size)));
    expect(Buffer.concat(parts)).toEqual(bytes);
    expect(decoder.incomplete).toBe(false);
  }
});

it('says when the text ends part-way through a group', () => {
  const decoder = new Base64Decoder();
  decoder.push('QUJD' + 'QU');
  expect(decoder.incomplete).toBe(true);
});

it('refuses padding in the middle of a group', () => {
  expect(() => new Base64Decoder().push('QUJDQ=Q=')).toThrow('malformed');
});

it('encodes chunks as one unbroken base64 text', () => {
  const encoder = new Base64Encoder();
  const text = [bytes.subarray(0, 1), bytes.subarray(1, 5), bytes.subarray(5, 6), bytes.subarray(6)].map((b) => encoder.push(b)).join('') + encoder.end();
  expect(text).toBe(bytes.toString('base64'));
});
