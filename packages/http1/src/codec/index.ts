/**
 * `@http-kit/http1/codec`: HTTP/1.1 as bytes, with no sockets: our llhttp binding, header
 * tables and validation, the response head encoder and chunked framing. The server and the
 * client both build on it; importing it loads neither.
 *
 * @example
 * import { HttpParser, TYPE_RESPONSE, ParseResult } from '@http-kit/http1/codec';
 */
export { HttpParser, ParseResult, LimitExceeded, PAUSE, TYPE_REQUEST, TYPE_RESPONSE, METHOD_NAMES, METHOD_NAMES_UPPER } from './parser.js';
export type { ParserEvents } from './parser.js';
export { isToken, isFieldValue } from './header-validation.js';
export { lowerCaseName, internHeaderName } from './header-names.js';
export { requestHeaderMap, responseHeaderMap } from './header-map.js';
export { CRLF, LAST_CHUNK, chunkSizeLine, writeChunk } from './chunked.js';
export type { ChunkSink } from './chunked.js';
export {
  scanHeaders,
  copyScan,
  encodeHead,
  CONNECTION_NONE,
  CONNECTION_CLOSE,
  CONNECTION_KEEP_ALIVE,
  CONNECTION_UPGRADE,
} from './head-encoder.js';
export type { HeaderScan } from './head-encoder.js';
export { statusLine, reasonPhrase, statusHasNoBody } from './status-codes.js';
export type { HeaderValue, HeaderFields } from './header-types.js';
export { InvalidHeaderError, InvalidStatusError, ParserLoadError } from '../errors.js';
