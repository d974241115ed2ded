/** The gRPC-Web wire format: frames, trailers, and the reader that joins chunks. */
import { encodeFrame, encodeTrailers, FrameReader, parseTrailers, TRAILER_FLAG } from '../../../sdk/src/grpc-web/frames';

it('encodes a frame as flag, big-endian length and payload', () => {
  expect([...encodeFrame(0, Uint8Array.from([7, 8, 9]))]).toEqual([0, 0, 0, 0, 3, 7, 8, 9]);
  expect(encodeFrame(TRAILER_FLAG, new Uint8Array(300)).subarray(0, 5)).toEqual(Uint8Array.from([0x80, 0, 0, 1, 44]));
});

it('round-trips trailers, lower-casing names', () => {
  const payload = encodeTrailers({ 'grpc-status': '3', 'grpc-message': 'bad%20input' });
  expect(new TextDecoder().decode(payload)).toBe('grpc-status: 3\r\ngrpc-message: bad%20input\r\n');
  expect(parseTrailers(new TextEncoder().encode('Grpc-Status: 0\r\nX-Extra:  a:b \r\n'))).toEqual({ 'grpc-status': '0', 'x-extra': 'a:b' });
});

it('joins frames split across chunks at any byte', () => {
  const stream = Uint8Array.from([...encodeFrame(0, Uint8Array.from([1, 2])), ...encodeFrame(TRAILER_FLAG, Uint8Array.from([3]))]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const reader = new FrameReader();
    const frames = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
    expect(frames.map((f) => [f.flag, [...f.payload]])).toEqual([
      [0, [1, 2]],
      [TRAILER_FLAG, [3]],
    ]);
    expect(reader.leftover).toBe(0);
  }
});

it('holds an unfinished frame', () => {
  const reader = new FrameReader();
  expect(reader.push(encodeFrame(0, new Uint8Array(10)).subarray(0, 9))).toEqual([]);
  expect(reader.leftover).toBe(9);
});
