/**
 * The WebSocket client: `connect(url, options)` sends the opening handshake with the HTTP client
 * (so TCP, TLS with SNI, `insecure`, `tls` options and the proxy tunnel are the HTTP client's),
 * checks the server's 101 (handshake.ts), then drives the socket the 101 handed over with core's
 * SocketLoop, whose protocol is a WebSocketChannel in the client role (every frame masked). The
 * bytes the server sent right after its 101 go to the channel first.
 *
 * Like the HTTP client, it never rejects: it resolves to `{channel, headers}` once the connection
 * is open (onOpen has been scheduled and runs first), or to `{error}` with a stable code.
 */
import type { Socket } from 'node:net';
import { defaultWheel, SocketLoop, Timer } from '@http-kit/core';
import { ConnectionClosedError, createClient, TimeoutError, type HttpClient, type HttpResult } from '@http-kit/client';
import type { Request } from '@http-kit/http1';
import { PerMessageDeflate } from '../codec/permessage-deflate.js';
import { WebSocketChannel, type WebSocketHandlers } from '../connection/websocket-channel.js';
import { prepareConnect, type ConnectOptions, type ConnectResult, type PreparedConnect } from './connect-options.js';
import { WebSocketHandshakeError } from './errors.js';
import { checkAnswer, type Agreement } from './handshake.js';
import { clientLoopContext } from './loop-context.js';

export type { ConnectOptions, ConnectResult, WebSocketClientHandlers } from './connect-options.js';

/**
 * Opens a WebSocket connection to a ws:// or wss:// URL. Resolves (never rejects, never throws)
 * to `{channel, headers}` once open, or to `{error}` with a stable code: the HTTP client's
 * (HTTPKIT_INVALID_REQUEST for bad options, HTTPKIT_CONNECT_FAILED, HTTPKIT_TLS, HTTPKIT_PROXY,
 * HTTPKIT_CONNECTION_CLOSED; HTTPKIT_CONNECT_TIMEOUT when `timeout` passes before the connection
 * is made, HTTPKIT_TIMEOUT when it passes later in the handshake), or HTTPKIT_WS_HANDSHAKE
 * (`WebSocketHandshakeError`) when the server's answer is not a WebSocket one. Handlers are
 * called only for a connection that opened.
 *
 * @example
 * import { connect } from '@http-kit/websocket';
 * const { channel, error } = await connect('wss://example.com/chat', {
 *   protocols: ['chat.v2'],
 *   perMessageDeflate: true,
 *   onReceive: (ch, message) => console.log('got', message),
 *   onClose: (ch, reason, { code }) => console.log('closed', reason, code),
 * });
 * if (error) console.error(error.code, error.message);
 * else channel.send('hello');
 */
export function connect(url: string | URL, options: ConnectOptions = {}): Promise<ConnectResult> {
  return new Promise<ConnectResult>((resolve) => {
    let prepared: PreparedConnect;
    try {
      prepared = prepareConnect(url, options);
    } catch (error) {
      resolve({ error: error as Error });
      return;
    }
    new Handshake(prepared, resolve).start();
  });
}

let httpClient: HttpClient | null = null;

/**
 * The HTTP client handshakes go through: one of their own, so they never wait behind (or hold)
 * the slots of the default client's pool; an upgraded connection leaves the pool at once anyway.
 */
function handshakeClient(): HttpClient {
  return (httpClient ??= createClient({ maxConnectionsPerHost: Infinity }));
}

/** One connection attempt: the request in flight, the deadline, and the result. */
class Handshake {
  private settled = false;
  private readonly deadline: Timer<Handshake>;

  constructor(
    private readonly prepared: PreparedConnect,
    private readonly resolve: (result: ConnectResult) => void,
  ) {
    this.deadline = new Timer<Handshake>(onDeadline, this);
  }

  start(): void {
    // The callback runs as the answer arrives, in the same turn as the hand-over: the socket
    // gets its new listeners before any other event can reach it. The promise is not needed.
    try {
      void handshakeClient().request(this.prepared.request, (result) => this.onAnswer(result));
    } catch (error) {
      this.settle({ error: error as Error }); // the HTTP client resolves its failures: not expected
      return;
    }
    // `timeout` is the HTTP request's deadline too, and its error says which part was too slow
    // (HTTPKIT_CONNECT_TIMEOUT, HTTPKIT_TIMEOUT). This backstop, one wheel tick later, never
    // races it: it only bounds the handshake should the request outlive its deadline.
    if (Number.isFinite(this.prepared.timeout)) defaultWheel.schedule(this.deadline, this.prepared.timeout + defaultWheel.tickMs);
  }

  /** @internal The deadline passed before the connection was open. */
  onDeadline(): void {
    const { url, timeout } = this.prepared;
    this.settle({ error: new TimeoutError(`the WebSocket handshake with ${url.href} did not complete within ${timeout} ms`) });
  }

  private onAnswer(result: HttpResult): null {
    try {
      this.answered(result);
    } catch (error) {
      discard(result);
      this.settle({ error: error as Error });
    }
    return null;
  }

  private answered(result: HttpResult): void {
    if (this.settled) {
      discard(result); // too late: the deadline has already answered
      return;
    }
    if (result.error !== undefined) {
      this.settle({ error: result.error });
      return;
    }
    const { url, offer } = this.prepared;
    const agreed = checkAnswer(result.status, result.headers, offer);
    if (typeof agreed === 'string' || result.upgrade === undefined) {
      discard(result);
      const reason = typeof agreed === 'string' ? agreed : 'the server switched protocols without handing the connection over';
      this.settle({
        error: new WebSocketHandshakeError(`WebSocket handshake with ${url.href} failed: ${reason}`, result.status, result.headers),
      });
      return;
    }
    const { socket, head } = result.upgrade;
    if (socket.destroyed) {
      this.settle({
        error: new ConnectionClosedError(`the server closed the connection right after accepting the WebSocket handshake with ${url.href}`),
      });
      return;
    }
    const channel = this.open(socket, head, agreed);
    this.settle({ channel, headers: result.headers });
  }

  /** Puts the socket in a loop whose protocol is the channel; the bytes read past the 101 go first. */
  private open(socket: Socket, head: Buffer, agreed: Agreement): WebSocketChannel {
    const { settings, handlers, offer } = this.prepared;
    const deflate =
      agreed.deflate === null ? null : new PerMessageDeflate(agreed.deflate, false, offer.deflate ?? {}, settings.maxMessageSize);
    const request = this.requestMap(socket);
    const context = clientLoopContext(this.prepared.writeTimeout, this.prepared.errorLogger, this.prepared.warnLogger);
    let channel: WebSocketChannel | null = null;
    const own = handlers as WebSocketHandlers;
    const loop = new SocketLoop(
      socket,
      context,
      (host) => (channel = new WebSocketChannel(host, request, own, settings, false, deflate, agreed.protocol)),
    );
    // The channel's onOpen is queued first (its constructor did it); the head and whatever
    // arrives meanwhile are handed over after it, from the next microtask.
    loop.switchProtocol(channel!, head);
    return channel!;
  }

  /** The handshake as a Ring request map: what `channel.request` shows. */
  private requestMap(socket: Socket): Request {
    const { url, requestHeaders } = this.prepared;
    const secure = url.protocol === 'wss:';
    const hostname = url.hostname.charCodeAt(0) === 91 /* [ */ ? url.hostname.slice(1, -1) : url.hostname;
    return {
      serverPort: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
      serverName: hostname,
      remoteAddr: socket.remoteAddress ?? '',
      uri: url.pathname,
      queryString: url.search === '' ? null : url.search.slice(1),
      scheme: secure ? 'https' : 'http',
      requestMethod: 'get',
      protocol: 'HTTP/1.1',
      headers: requestHeaders,
      contentType: null,
      contentLength: null,
      characterEncoding: null,
      body: null,
      websocket: true,
    };
  }

  private settle(result: ConnectResult): void {
    if (this.settled) return;
    this.settled = true;
    this.deadline.cancel();
    this.resolve(result);
  }
}

function onDeadline(handshake: Handshake): void {
  handshake.onDeadline();
}

/** Lets go of an answer that will not be used: its body stream or its socket. */
function discard(result: HttpResult): void {
  if (result.error !== undefined) return;
  if (result.upgrade !== undefined) result.upgrade.socket.destroy();
  const body = result.body;
  if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body)) body.destroy();
}
