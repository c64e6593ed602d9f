/**
 * The WebSocket codec: RFC 6455 frames and RFC 7692 permessage-deflate as bytes, with no
 * sockets. The server and client protocols build on it.
 *
 * @example
 * import { FrameReader, encodeFrame, Opcode, negotiateServer } from './codec/index.js';
 */
export { Opcode, OpcodeKind, opcodeKind, isControlOpcode, MAX_CONTROL_PAYLOAD } from './opcodes.js';
export { CloseCode, isValidCloseCode } from './close-codes.js';
export { FrameReader, ReadState } from './frame-reader.js';
export type { FrameReaderEvents, FrameReaderOptions } from './frame-reader.js';
export { frameHeader, encodeFrame, encodeClose, headerLength, MAX_CLOSE_REASON } from './frame-writer.js';
export { applyMask, randomMask } from './mask.js';
export { Utf8Validator } from './utf8.js';
export { WS_GUID, acceptKey, isValidKey, parseTokenList } from './handshake.js';
export { isToken } from './tokens.js';
export { parseExtensions, formatExtension } from './extensions.js';
export type { Extension } from './extensions.js';
export { negotiateServer, clientOffer, acceptServerResponse, PerMessageDeflate, EXTENSION_NAME } from './permessage-deflate.js';
export type { PerMessageDeflateOptions, DeflateParams } from './permessage-deflate.js';
export { ExtensionHeaderError, InflateError, MessageTooBigError } from './errors.js';
