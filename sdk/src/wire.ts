/**
 * The gRPC-Web wire format as the SDK package exports it
 * (`@tributary/sdk/wire`): frames, trailers and their reader. It is the one
 * path of `sdk/` that the server imports (its gRPC-Web bridge), so that the
 * browser transport and the bridge cannot drift apart; `make lint` refuses
 * any other import of `sdk/` from `src/`.
 */
export { encodeFrame, encodeTrailers, FrameReader, parseTrailers, TRAILER_FLAG, type Frame } from './grpc-web/frames';
