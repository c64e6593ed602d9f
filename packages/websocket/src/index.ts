/**
 * `@http-kit/websocket`: WebSocket (RFC 6455, permessage-deflate RFC 7692) for http-kit. On the
 * server, importing this package lets `asChannel` answer WebSocket upgrade requests with a
 * WebSocket channel on the same connection; `broadcast` sends one message to many channels.
 * `connect(url, handlers)` opens a client WebSocket with the same handlers and channel.
 *
 * @example
 * import '@http-kit/websocket';
 * import { asChannel, runServer } from '@http-kit/http1';
 * await runServer((req) => req.websocket
 *   ? asChannel(req, { onReceive: (ch, message) => ch.send(message) })
 *   : { status: 200, body: 'not a WebSocket' });
 */
import { provideWebSocketAcceptor } from '@http-kit/http1';
import { acceptWebSocket } from './server/accept.js';

provideWebSocketAcceptor(acceptWebSocket);

export { acceptWebSocket };
export { connect } from './client/connect.js';
export type { ConnectOptions, ConnectResult, WebSocketClientHandlers } from './client/connect.js';
export { WebSocketHandshakeError } from './client/errors.js';
export { broadcast } from './server/broadcast.js';
export type { BroadcastResult, SkipReason } from './server/broadcast.js';
export { WebSocketChannel } from './connection/websocket-channel.js';
export type { CloseInfo, WebSocketHandlers } from './connection/websocket-channel.js';
export { WEBSOCKET_DEFAULTS } from './connection/settings.js';
export type { WebSocketSettings } from './connection/settings.js';
export { CloseCode, isValidCloseCode } from './codec/close-codes.js';
export { Opcode } from './codec/opcodes.js';
export { FrameReader } from './codec/frame-reader.js';
export { WebSocketProtocolError, WebSocketErrorCode, InflateError, MessageTooBigError } from './codec/errors.js';
export type { FrameReaderEvents, FrameReaderOptions } from './codec/frame-reader.js';
export { encodeFrame, encodeClose, frameHeader } from './codec/frame-writer.js';
export { PerMessageDeflate } from './codec/permessage-deflate.js';
export type { PerMessageDeflateOptions } from './codec/permessage-deflate.js';
