export { runServer } from './server.js';
export type { HttpServer, ServerStatus, StopOptions } from './server.js';
export type { Handler, HandlerResult, ServerOptions } from './server-context.js';
export type { Request } from './request.js';
export { RequestBody } from './request.js';
export { file, FileBody } from './body-types.js';
export type { Response, ResponseBody, ResponseHeaders, HeaderValue } from './body-types.js';
export type { CloseReason } from './connection.js';
export { HttpParser, ParseResult, TYPE_REQUEST, TYPE_RESPONSE, PAUSE, type ParserEvents } from './parser.js';
