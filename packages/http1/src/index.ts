/**
 * `@http-kit/http1`: the HTTP/1.1 server (runServer), Ring-style requests and responses, and
 * async channels (long polling, streaming, Server-Sent Events). The codec underneath (parser,
 * head encoder, chunked framing) is the separate entry `@http-kit/http1/codec`.
 */
export { runServer } from './server/run-server.js';
export type { HttpServer, ServerStatus, StopOptions, WorkerInfo, WorkerState } from './server/server-context.js';
export type { Handler, HandlerResult, ServerOptions } from './server/server-context.js';
export type { Request } from './server/request.js';
export { RequestBody } from './server/request.js';
export { file, FileBody } from './server/body-types.js';
export { readJson } from './server/json-body.js';
export { query } from './server/query.js';
export type { Query } from './server/query.js';
export { cookies, setCookie } from './server/cookies.js';
export type { SetCookieOptions } from './server/cookies.js';
export { serveStatic } from './server/static-files.js';
export type { StaticOptions, StaticHandler } from './server/static-files.js';
export type { Response, ResponseBody, ResponseHeaders, HeaderValue } from './server/body-types.js';
export type { CloseReason, Protocol, ProtocolHost } from '@http-kit/core';
export type { HandedOff } from './server/dispatch.js';
export { switchProtocol } from './server/switch-protocol.js';
export type { WebSocketOptions, WebSocketDeflateOptions, WebSocketAcceptor } from './server/websocket-options.js';
/** @internal The hook @http-kit/websocket registers itself with. */
export { provideWebSocketAcceptor } from './server/websocket-options.js';
export { asChannel, asyncResponse, HttpChannel } from './server/channel.js';
export type { Channel, ChannelHandlers, ChannelMessage } from './server/channel.js';
export { asEventStream, EventStream, formatEvent } from './server/event-stream.js';
export type { EventStreamHandlers, ServerSentEvent } from './server/event-stream.js';
export { addResponseHook, isHandedOff } from './server/response-hooks.js';
export type { ResponseHook, AnswerEnd } from './server/response-hooks.js';
/** @internal How a channel tells the response hooks on its request that it ended (@http-kit/websocket calls it). */
export { answerEnded } from './server/response-hooks.js';
export { serverCounters, DiagnosticsChannels } from './server/diagnostics.js';
export type { ServerCounters, DiagnosticsChannelName } from './server/diagnostics.js';
/** The base of every error the packages make, and the one runServer throws for a bad option or argument. */
export { HttpKitError, InvalidArgumentError } from '@http-kit/core';
export {
  InvalidHeaderError,
  InvalidStatusError,
  InvalidHandlerResultError,
  InvalidBodyError,
  ResponseBodyError,
  ChannelMisuseError,
  RequestBodyTooLargeError,
  RequestBodyAbortedError,
  RequestBodyUsedError,
  InvalidJsonBodyError,
  ParserLoadError,
  ListenError,
} from './errors.js';
