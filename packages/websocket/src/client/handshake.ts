/**
 * The client's side of the opening handshake (RFC 6455 4.1), as pure functions: the offer (a
 * fresh random key, the version, the subprotocols and the permessage-deflate offer, as request
 * headers) and the checks on the server's answer (status 101, Upgrade, Connection,
 * Sec-WebSocket-Accept, the subprotocol chosen, the extensions accepted). Sending the request
 * and taking the socket over are connect.ts's.
 *
 * @example
 * const offer = newOffer(['chat'], {});
 * const headers = offerHeaders(offer); // { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': ..., ... }
 * const agreed = checkAnswer(res.status, res.headers, offer); // { protocol: 'chat', deflate: {...} } or why not, in words
 */
import { randomBytes } from 'node:crypto';
import { describe } from '@http-kit/core';
import { parseExtensions } from '../codec/extensions.js';
import { acceptKey, parseTokenList } from '../codec/handshake.js';
import { acceptServerResponse, clientOffer, type DeflateParams, type PerMessageDeflateOptions } from '../codec/permessage-deflate.js';

/** What the client asks for: kept to check the answer against. */
export interface Offer {
  /** Sec-WebSocket-Key: base64 of 16 random bytes, new for each connection. */
  readonly key: string;
  /** Subprotocols offered, in order of preference (none: []). */
  readonly protocols: readonly string[];
  /** The permessage-deflate options offered with, or null when compression is not offered. */
  readonly deflate: PerMessageDeflateOptions | null;
}

/** What the handshake settled. */
export interface Agreement {
  /** The subprotocol the server chose ('' when none). */
  protocol: string;
  /** permessage-deflate's parameters, or null when it is off. */
  deflate: DeflateParams | null;
}

/** Request headers the handshake sets itself; a caller's `headers` may not carry them. */
export const HANDSHAKE_HEADERS: ReadonlySet<string> = new Set([
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
]);

/** An offer with a fresh key. `deflate` is checked here (InvalidArgumentError from the codec). */
export function newOffer(protocols: readonly string[], deflate: PerMessageDeflateOptions | null): Offer {
  const offer: Offer = { key: randomBytes(16).toString('base64'), protocols, deflate };
  if (deflate !== null) clientOffer(deflate); // checks the options before anything is sent
  return offer;
}

/** The handshake's request headers (names as they go on the wire). */
export function offerHeaders(offer: Offer): Record<string, string> {
  const headers: Record<string, string> = {
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': offer.key,
    'Sec-WebSocket-Version': '13',
  };
  if (offer.protocols.length > 0) headers['Sec-WebSocket-Protocol'] = offer.protocols.join(', ');
  if (offer.deflate !== null) headers['Sec-WebSocket-Extensions'] = clientOffer(offer.deflate);
  return headers;
}

/**
 * Checks the server's answer to `offer` (RFC 6455 4.1, the client's checks 1-6): what was agreed,
 * or why the connection must fail, in words naming the header and the value.
 */
export function checkAnswer(status: number, headers: Readonly<Record<string, string | string[]>>, offer: Offer): Agreement | string {
  if (status !== 101) {
    const location = single(headers['location']);
    return `the server answered status ${status} instead of 101 Switching Protocols${location === undefined ? '' : ` (Location: ${location})`}`;
  }
  const upgrade = single(headers['upgrade']);
  if (upgrade === undefined || upgrade.trim().toLowerCase() !== 'websocket') return `Upgrade must be "websocket", got ${shown(upgrade)}`;
  const connection = single(headers['connection']);
  if (!parseTokenList(connection).some((token) => token.toLowerCase() === 'upgrade'))
    return `Connection must include "upgrade", got ${shown(connection)}`;
  const accept = single(headers['sec-websocket-accept']);
  if (accept === undefined) return 'the answer has no Sec-WebSocket-Accept header';
  const expected = acceptKey(offer.key);
  if (accept.trim() !== expected) return `Sec-WebSocket-Accept is ${describe(accept)}, expected ${describe(expected)} for the key sent`;

  let protocol = '';
  const chosen = single(headers['sec-websocket-protocol']);
  if (chosen !== undefined && chosen.trim() !== '') {
    protocol = chosen.trim();
    if (!offer.protocols.includes(protocol)) {
      const offered = offer.protocols.length === 0 ? 'none was offered' : `offered: ${offer.protocols.map((p) => describe(p)).join(', ')}`;
      return `the server chose the subprotocol ${describe(protocol)}, which was not offered (${offered})`;
    }
  }

  const extensions = single(headers['sec-websocket-extensions']);
  let deflate: DeflateParams | null = null;
  if (offer.deflate !== null) {
    const answer = acceptServerResponse(extensions, offer.deflate);
    if (typeof answer === 'string') return `bad Sec-WebSocket-Extensions answer: ${answer}`;
    deflate = answer;
  } else if (extensions !== undefined) {
    // No extension was offered: the server may accept none (RFC 6455 9.1).
    let names: string[];
    try {
      names = parseExtensions(extensions).map((extension) => extension.name);
    } catch (error) {
      return `bad Sec-WebSocket-Extensions answer: ${(error as Error).message}`;
    }
    if (names.length > 0)
      return `bad Sec-WebSocket-Extensions answer: the server accepted ${describe(names[0])}, but no extension was offered`;
  }
  return { protocol, deflate };
}

/** A header's value as one string (only Set-Cookie comes as an array). */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function shown(value: string | undefined): string {
  return value === undefined ? 'none' : describe(value);
}
