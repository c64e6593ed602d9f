/**
 * `connect`'s options: their types, and `prepareConnect`, which checks them once and turns them
 * into what the handshake needs (the HTTP request to send, the offer to check the answer
 * against, the channel's settings and handlers). A bad option throws the HTTP client's
 * `InvalidRequestError` (HTTPKIT_INVALID_REQUEST), which `connect` resolves with, as the HTTP
 * client does.
 */
import type { CloseReason, ErrorLogger, WarnLogger } from '@http-kit/core';
import { defaultErrorLogger, defaultWarnLogger, describe, HttpKitError, nonNegativeOption, unknownOptions } from '@http-kit/core';
import { InvalidRequestError, type RequestOptions, type TlsOptions } from '@http-kit/client';
import type { PerMessageDeflateOptions } from '../codec/permessage-deflate.js';
import { isToken } from '../codec/tokens.js';
import { resolveSettings, type WebSocketSettings } from '../connection/settings.js';
import type { CloseInfo, WebSocketChannel } from '../connection/websocket-channel.js';
import { HANDSHAKE_HEADERS, newOffer, offerHeaders, type Offer } from './handshake.js';
import { DEFAULT_WRITE_TIMEOUT } from './loop-context.js';

/** What a client connection calls back. The channel is the one `connect` resolves with. */
export interface WebSocketClientHandlers {
  /** The connection is open: the handshake succeeded (runs before `connect`'s promise resolves). */
  onOpen?: (channel: WebSocketChannel) => void;
  /** A message from the server: a string for a text message, a Buffer for a binary one. */
  onReceive?: (channel: WebSocketChannel, message: string | Buffer) => void;
  /**
   * Runs once, however the connection ends: 'server-closed' (the server sent a close frame or
   * ended TCP first), 'client-closed' (we closed first), 'timeout' (no pong, or the close
   * handshake took too long), 'protocol-error', 'too-slow', 'error'. `info` has the close frame's
   * code and reason (1006 when there was none).
   */
  onClose?: (channel: WebSocketChannel, reason: CloseReason, info: CloseInfo) => void;
  /** A ping from the server (the pong has already been sent). */
  onPing?: (channel: WebSocketChannel, payload: Buffer) => void;
  /** A pong from the server. */
  onPong?: (channel: WebSocketChannel, payload: Buffer) => void;
}

export interface ConnectOptions extends WebSocketClientHandlers {
  /** More request headers for the handshake (Origin, Authorization, Cookie...); not the handshake's own (Upgrade, Sec-WebSocket-*). */
  headers?: Record<string, string | number | ReadonlyArray<string> | null | undefined>;
  /** Subprotocols to offer, in order of preference; the server's choice is `channel.protocol`. */
  protocols?: string | readonly string[];
  /** ms the whole handshake may take: connecting, TLS, a proxy tunnel, the 101. Default 60 000. */
  timeout?: number;
  /** Offer permessage-deflate (RFC 7692), with these options when an object. Default off. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Largest message accepted, in bytes after inflation (default 16 MiB); larger: close 1009. */
  maxMessageSize?: number;
  /** Bytes waiting for the server beyond the message being sent before it is dropped; also the largest send() (default 16 MiB, or maxMessageSize when larger). */
  maxBufferedAmount?: number;
  /** The most frames one message from the server may come in (default 65536); past it: close 1009. */
  maxFragments?: number;
  /** ms of silence from the server after which it is pinged (default 30 000; 0: never). */
  pingInterval?: number;
  /** ms a ping waits for its pong before the connection is dropped (default 10 000). */
  pongTimeout?: number;
  /** ms the close handshake may take, up to the server ending TCP (default 5 000). */
  closeTimeout?: number;
  /** ms a write may stay stuck on a server that does not read before the connection is cut (default 60 000; 0: never). */
  writeTimeout?: number;
  /** wss: options for `tls.connect` (`ca`, `cert`/`key`, `servername`...), as the HTTP client takes them. */
  tls?: TlsOptions | null;
  /** wss: skip certificate verification (SNI is still sent). */
  insecure?: boolean;
  /** An http:// proxy: wss:// goes through a CONNECT tunnel (ws:// is sent to the proxy in absolute form). */
  proxy?: string | null;
  /** Where failures the connection handled are logged (a throwing callback). Default: console.error. */
  errorLogger?: ErrorLogger;
  warnLogger?: WarnLogger;
}

/** What the client resolves with: the open channel, or why there is none. */
export type ConnectResult =
  | {
      channel: WebSocketChannel;
      /** The headers of the server's 101 (lower-cased names). */
      headers: Record<string, string | string[]>;
      error?: undefined;
    }
  | { error: Error & { code?: string }; channel?: undefined; headers?: undefined };

/** The options, checked. */
export interface PreparedConnect {
  /** The ws:// or wss:// URL, without fragment. */
  readonly url: URL;
  readonly offer: Offer;
  /** The HTTP request that carries the handshake. */
  readonly request: RequestOptions;
  /** The request headers as the channel's `request.headers` shows them (lower-cased names). */
  readonly requestHeaders: Record<string, string>;
  readonly timeout: number;
  readonly settings: WebSocketSettings;
  readonly handlers: WebSocketClientHandlers;
  readonly writeTimeout: number;
  readonly errorLogger: ErrorLogger;
  readonly warnLogger: WarnLogger;
}

export const DEFAULT_TIMEOUT = 60_000;
const HANDLERS = ['onOpen', 'onReceive', 'onClose', 'onPing', 'onPong'] as const;

/** Every option connect takes; the compiler keeps it whole. */
const KNOWN_OPTIONS: Record<keyof ConnectOptions, true> = {
  onOpen: true,
  onReceive: true,
  onClose: true,
  onPing: true,
  onPong: true,
  headers: true,
  protocols: true,
  timeout: true,
  perMessageDeflate: true,
  maxMessageSize: true,
  maxBufferedAmount: true,
  maxFragments: true,
  pingInterval: true,
  pongTimeout: true,
  closeTimeout: true,
  writeTimeout: true,
  tls: true,
  insecure: true,
  proxy: true,
  errorLogger: true,
  warnLogger: true,
};

/**
 * What `ws`, the browser's WebSocket and other clients call these: a "did you mean" for each
 * (`onMessage` would otherwise lose every message in silence).
 */
const WS_HABITS: Readonly<Record<string, string>> = {
  onMessage: 'onReceive',
  onmessage: 'onReceive',
  message: 'onReceive',
  onopen: 'onOpen',
  onclose: 'onClose',
  onError: 'onClose',
  onerror: 'onClose',
  protocol: 'protocols',
  handshakeTimeout: 'timeout',
  maxPayload: 'maxMessageSize',
  rejectUnauthorized: 'insecure',
  origin: 'headers',
};

/** Checks `connect(url, options)`; throws InvalidRequestError naming the option and the value. */
export function prepareConnect(input: string | URL, options: ConnectOptions): PreparedConnect {
  if (options === null || typeof options !== 'object')
    throw new InvalidRequestError(`connect: options must be an object, got ${describe(options)}`);
  const unknown = unknownOptions('connect', options, KNOWN_OPTIONS, WS_HABITS);
  if (unknown !== null) throw new InvalidRequestError(unknown);
  const url = parseUrl(input);

  const handlers: WebSocketClientHandlers = {};
  for (const name of HANDLERS) {
    const handler = options[name];
    if (handler === undefined) continue;
    if (typeof handler !== 'function') throw new InvalidRequestError(`connect: ${name} must be a function, got ${describe(handler)}`);
    (handlers as Record<string, unknown>)[name] = handler;
  }

  const timeout = options.timeout ?? DEFAULT_TIMEOUT;
  if (typeof timeout !== 'number' || !(timeout > 0))
    throw new InvalidRequestError(`connect: timeout must be a positive number of ms, got ${describe(timeout)}`);

  let settings: WebSocketSettings;
  let writeTimeout: number;
  let offer: Offer;
  try {
    const { maxMessageSize, maxBufferedAmount, maxFragments, pingInterval, pongTimeout, closeTimeout } = options;
    settings = resolveSettings('connect', { maxMessageSize, maxBufferedAmount, maxFragments, pingInterval, pongTimeout, closeTimeout });
    writeTimeout = nonNegativeOption('connect', 'writeTimeout', options.writeTimeout, DEFAULT_WRITE_TIMEOUT);
    offer = newOffer(protocolsOf(options.protocols), deflateOf(options.perMessageDeflate));
  } catch (error) {
    // Core's and the codec's InvalidArgumentError, reported as the HTTP client reports bad options.
    if (error instanceof HttpKitError && !(error instanceof InvalidRequestError))
      throw new InvalidRequestError(error.message, { cause: error });
    throw error;
  }
  for (const name of ['errorLogger', 'warnLogger'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function')
      throw new InvalidRequestError(`connect: ${name} must be a function, got ${describe(options[name])}`);
  }

  // The caller's headers, then the handshake's; the channel's request shows them all.
  const headers: NonNullable<RequestOptions['headers']> = {};
  const requestHeaders: Record<string, string> = { host: url.host };
  const own = options.headers;
  if (own !== undefined && own !== null) {
    if (typeof own !== 'object') throw new InvalidRequestError(`connect: headers must be an object, got ${describe(own)}`);
    for (const name of Object.keys(own)) {
      const value = own[name];
      if (value === undefined || value === null) continue;
      const lower = name.toLowerCase();
      if (HANDSHAKE_HEADERS.has(lower)) {
        throw new InvalidRequestError(
          `connect: the header ${name} is the handshake's own${lower === 'sec-websocket-protocol' ? ' (offer subprotocols with the protocols option)' : lower === 'sec-websocket-extensions' ? ' (offer compression with the perMessageDeflate option)' : ''}`,
        );
      }
      headers[name] = value;
      const text = typeof value === 'object' ? value.join(', ') : String(value);
      requestHeaders[lower] = requestHeaders[lower] === undefined || lower === 'host' ? text : `${requestHeaders[lower]}, ${text}`;
    }
  }
  const handshake = offerHeaders(offer);
  for (const name of Object.keys(handshake)) {
    headers[name] = handshake[name];
    requestHeaders[name.toLowerCase()] = handshake[name];
  }

  return {
    url,
    offer,
    request: {
      url: httpUrl(url),
      method: 'GET',
      headers,
      // The HTTP client bounds connecting and waiting for the answer with it too.
      timeout,
      // A refusal's connection is closed, never pooled; its body is not read.
      keepalive: -1,
      as: 'stream',
      followRedirects: false,
      tls: options.tls,
      insecure: options.insecure,
      proxy: options.proxy,
    },
    requestHeaders,
    timeout,
    settings,
    handlers,
    writeTimeout,
    errorLogger: options.errorLogger ?? defaultErrorLogger,
    warnLogger: options.warnLogger ?? defaultWarnLogger,
  };
}

/** A ws:// or wss:// URL without a fragment (RFC 6455 3). */
function parseUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = input instanceof URL ? new URL(input.href) : new URL(String(input));
  } catch (error) {
    throw new InvalidRequestError(`connect: invalid URL ${describe(String(input))}`, { cause: error });
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new InvalidRequestError(`connect: the URL must be ws:// or wss://, got ${describe(url.href)}`);
  }
  if (url.hostname === '') throw new InvalidRequestError(`connect: URL without a host: ${describe(url.href)}`);
  if (url.hash !== '' || url.href.endsWith('#'))
    throw new InvalidRequestError(`connect: a WebSocket URL cannot have a fragment, got ${describe(url.href)}`);
  return url;
}

/** The same place in HTTP terms: ws -> http, wss -> https. */
function httpUrl(url: URL): string {
  const rest = url.href.slice(url.protocol.length);
  return (url.protocol === 'wss:' ? 'https:' : 'http:') + rest;
}

function protocolsOf(protocols: ConnectOptions['protocols']): string[] {
  if (protocols === undefined || protocols === null) return [];
  const list = typeof protocols === 'string' ? [protocols] : protocols;
  if (!Array.isArray(list))
    throw new InvalidRequestError(`connect: protocols must be a string or an array of strings, got ${describe(protocols)}`);
  const seen = new Set<string>();
  for (const protocol of list) {
    if (typeof protocol !== 'string' || !isToken(protocol))
      throw new InvalidRequestError(`connect: each protocol must be a token (RFC 9110 5.6.2), got ${describe(protocol)}`);
    if (seen.has(protocol)) throw new InvalidRequestError(`connect: the protocol ${describe(protocol)} is offered twice`);
    seen.add(protocol);
  }
  return [...list];
}

function deflateOf(option: ConnectOptions['perMessageDeflate']): PerMessageDeflateOptions | null {
  if (option === undefined || option === false) return null;
  if (option === true) return {};
  if (option === null || typeof option !== 'object')
    throw new InvalidRequestError(`connect: perMessageDeflate must be a boolean or an object of options, got ${describe(option)}`);
  return option;
}
