/**
 * WebSocket limits and timers, resolved from a channel's options over the server's (or the
 * client's) defaults, each checked and given its default.
 */
import { describe, InvalidArgumentError, nonNegativeOption, positiveOption } from '@http-kit/core';
import type { WebSocketOptions } from '@http-kit/http1';

export interface WebSocketSettings {
  /** Bytes of a whole message after inflation (default 16 MiB). */
  maxMessageSize: number;
  /**
   * Bytes that may wait for a peer beyond the message being sent before it is dropped, and the
   * largest message one send() takes (default 16 MiB, or maxMessageSize when that is larger).
   */
  maxBufferedAmount: number;
  /**
   * The most frames one message may come in (default 65536: Autobahn's 9.3.1 and 9.4.1 send 4 MiB
   * in 64-byte fragments, that many; browsers send a message in one frame).
   */
  maxFragments: number;
  /** ms of silence before a ping (default 30 s; 0: never). */
  pingInterval: number;
  /** ms a ping waits for its pong (default 10 s). */
  pongTimeout: number;
  /** ms the close handshake may take (default 5 s). */
  closeTimeout: number;
}

export const WEBSOCKET_DEFAULTS: WebSocketSettings = Object.freeze({
  maxMessageSize: 16 * 1024 * 1024,
  maxBufferedAmount: 16 * 1024 * 1024,
  maxFragments: 65_536,
  pingInterval: 30_000,
  pongTimeout: 10_000,
  closeTimeout: 5_000,
});

const NAMES = ['maxMessageSize', 'maxBufferedAmount', 'maxFragments', 'pingInterval', 'pongTimeout', 'closeTimeout'] as const;
/** Settings resolved from a server's defaults alone, shared by its channels that set none of their own. */
const shared = new WeakMap<WebSocketOptions, WebSocketSettings>();
/**
 * Settings a channel's own options made, shared by every channel that resolves to the same values
 * (handlers are often an object literal per request: an object per idle connection otherwise).
 * Bounded: past it, settings are made per channel as before.
 */
const interned = new Map<string, WebSocketSettings>();
const MAX_INTERNED = 64;

/** `own` over `defaults` over WEBSOCKET_DEFAULTS; `where` names the call in error messages. */
export function resolveSettings(where: string, own: WebSocketOptions, defaults: WebSocketOptions = {}): WebSocketSettings {
  if (NAMES.every((name) => own[name] === undefined)) {
    let settings = shared.get(defaults);
    if (settings === undefined) shared.set(defaults, (settings = Object.freeze(resolve(where, own, defaults))));
    return settings;
  }
  const settings = resolve(where, own, defaults);
  const key = `${settings.maxMessageSize},${settings.maxBufferedAmount},${settings.maxFragments},${settings.pingInterval},${settings.pongTimeout},${settings.closeTimeout}`;
  const known = interned.get(key);
  if (known !== undefined) return known;
  if (interned.size < MAX_INTERNED) interned.set(key, Object.freeze(settings));
  return settings;
}

function resolve(where: string, own: WebSocketOptions, defaults: WebSocketOptions): WebSocketSettings {
  const pick = <K extends keyof WebSocketSettings>(name: K): number | undefined => (own[name] ?? defaults[name]) as number | undefined;
  const maxMessageSize = positiveOption(where, 'maxMessageSize', pick('maxMessageSize'), WEBSOCKET_DEFAULTS.maxMessageSize);
  return {
    maxMessageSize,
    // A program that raised maxMessageSize can echo any message it accepts without raising this too.
    maxBufferedAmount: positiveOption(
      where,
      'maxBufferedAmount',
      pick('maxBufferedAmount'),
      Math.max(WEBSOCKET_DEFAULTS.maxBufferedAmount, maxMessageSize),
    ),
    maxFragments: positiveIntegerOption(where, 'maxFragments', pick('maxFragments'), WEBSOCKET_DEFAULTS.maxFragments),
    pingInterval: nonNegativeOption(where, 'pingInterval', pick('pingInterval'), WEBSOCKET_DEFAULTS.pingInterval),
    pongTimeout: positiveOption(where, 'pongTimeout', pick('pongTimeout'), WEBSOCKET_DEFAULTS.pongTimeout),
    closeTimeout: positiveOption(where, 'closeTimeout', pick('closeTimeout'), WEBSOCKET_DEFAULTS.closeTimeout),
  };
}

/** A whole number of 1 or more, or `fallback` when undefined. */
function positiveIntegerOption(where: string, name: string, value: number | undefined, fallback: number): number {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1))
    throw new InvalidArgumentError(`${where}: ${name} must be a whole number of 1 or more, got ${describe(value)}`);
  return value ?? fallback;
}
