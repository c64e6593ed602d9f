/**
 * The server's side of the opening handshake (RFC 6455 4.2): checks an upgrade request, picks
 * the subprotocol and extensions, and answers 101 by switching the connection to a WebSocket
 * channel, or refuses in HTTP: 400 for a malformed upgrade, 426 for another version, 403 for an
 * origin not allowed.
 */
import { switchProtocol, type HandedOff, type Request, type Response, type WebSocketOptions } from '@http-kit/http1';
import { acceptKey, isValidKey, parseTokenList } from '../codec/handshake.js';
import { negotiateServer, PerMessageDeflate, type PerMessageDeflateOptions } from '../codec/permessage-deflate.js';
import { WebSocketChannel, type WebSocketHandlers } from '../connection/websocket-channel.js';
import { resolveSettings } from '../connection/settings.js';

/**
 * Takes a WebSocket upgrade request over (registered with the server as its WebSocket acceptor):
 * returns the hand-off marker once the connection switches, or the HTTP refusal, which `asChannel`
 * returns to the handler to answer with.
 */
export function acceptWebSocket(request: Request, handlers: object, serverDefaults: WebSocketOptions): HandedOff | Response {
  const own = handlers as WebSocketHandlers & WebSocketOptions;
  const refusal = checkUpgrade(request, own, serverDefaults);
  if (refusal !== null) return refusal;
  const headers: Record<string, string> = { upgrade: 'websocket', 'sec-websocket-accept': acceptKey(request.headers['sec-websocket-key']) };
  const protocol = pickProtocol(request, own.protocols ?? serverDefaults.protocols);
  if (protocol !== null) headers['sec-websocket-protocol'] = protocol;
  const settings = resolveSettings('asChannel', own, serverDefaults);
  let deflate: PerMessageDeflate | null = null;
  const deflateOptions = own.perMessageDeflate ?? serverDefaults.perMessageDeflate;
  if (deflateOptions) {
    const options: PerMessageDeflateOptions = deflateOptions === true ? {} : deflateOptions;
    let agreed: ReturnType<typeof negotiateServer>;
    try {
      agreed = negotiateServer(request.headers['sec-websocket-extensions'], options);
    } catch (error) {
      return refuse(400, `Malformed Sec-WebSocket-Extensions: ${(error as Error).message}`);
    }
    if (agreed !== null) {
      headers['sec-websocket-extensions'] = agreed.response;
      deflate = new PerMessageDeflate(agreed.params, true, options, settings.maxMessageSize);
    }
  }
  return switchProtocol(request, headers, (host) => new WebSocketChannel(host, request, own, settings, true, deflate, protocol ?? ''));
}

function checkUpgrade(request: Request, own: WebSocketOptions, defaults: WebSocketOptions): Response | null {
  if (request.requestMethod !== 'get')
    return refuse(400, `A WebSocket handshake must be a GET, not ${request.requestMethod.toUpperCase()}`);
  if (request.protocol !== 'HTTP/1.1') return refuse(400, `A WebSocket handshake needs HTTP/1.1, not ${request.protocol}`);
  const headers = request.headers;
  if (!parseTokenList(headers['connection']).some((token) => token.toLowerCase() === 'upgrade'))
    return refuse(400, 'Connection must include upgrade');
  if (!isValidKey(headers['sec-websocket-key'])) return refuse(400, 'Sec-WebSocket-Key must be the base64 of 16 bytes');
  if (headers['sec-websocket-version'] !== '13') {
    return {
      status: 426,
      headers: { 'sec-websocket-version': '13', 'content-type': 'text/plain' },
      body: 'Upgrade Required: Sec-WebSocket-Version must be 13\n',
    };
  }
  const origins = own.origins ?? defaults.origins;
  if (origins !== undefined) {
    const origin = headers['origin'];
    const allowed = typeof origins === 'function' ? origins(origin, request) : origin !== undefined && origins.includes(origin);
    if (!allowed) return refuse(403, `Origin ${origin === undefined ? '(none)' : JSON.stringify(origin)} is not allowed`);
  }
  return null;
}

function pickProtocol(request: Request, protocols: WebSocketOptions['protocols']): string | null {
  const offered = parseTokenList(request.headers['sec-websocket-protocol']);
  if (offered.length === 0 || protocols === undefined) return null;
  if (typeof protocols === 'function') {
    const chosen = protocols(offered, request);
    return chosen !== null && offered.includes(chosen) ? chosen : null;
  }
  for (const protocol of protocols) if (offered.includes(protocol)) return protocol;
  return null;
}

function refuse(status: number, reason: string): Response {
  return { status, headers: { 'content-type': 'text/plain' }, body: `${reason}\n` };
}
