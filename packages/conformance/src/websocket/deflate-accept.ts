/**
 * The kit as a server answering a client's permessage-deflate offers (RFC 7692 7.1), as
 * Autobahn|Testsuite's fuzzing server answers them in groups 12 and 13: each case says what the
 * server asks of the client (client_no_context_takeover, a client_max_window_bits), in order of
 * preference; the first offer that allows one is accepted, anything else declined. What the
 * client asked of the server (server_no_context_takeover, server_max_window_bits) is granted.
 * Offers with unknown or repeated parameters, or values out of 8..15, are declined (7.1: MUST).
 *
 * @example
 * const agreed = acceptDeflate('permessage-deflate; client_max_window_bits', [{ noContextTakeover: false, maxWindowBits: 10 }]);
 * agreed?.response; // 'permessage-deflate; client_max_window_bits=10'
 */
import type { PerMessageDeflateParams } from './raw-websocket.js';

/**
 * What the server asks of the client, as Autobahn's (requestNoContextTakeover,
 * requestMaxWindowBits): client_no_context_takeover (only of a client that offered it, as
 * Autobahn), and a client_max_window_bits (0: none; only of a client that offered the parameter).
 */
export interface DeflateRequest {
  noContextTakeover: boolean;
  maxWindowBits: number;
}

/** One permessage-deflate offer of a client, read. */
export interface DeflateOffer {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** server_max_window_bits asked for, or null. */
  serverMaxWindowBits: number | null;
  /** client_max_window_bits: absent (false), bare (true), or with its value. */
  clientMaxWindowBits: boolean | number;
}

/** What was agreed: the response header's value and the parameters in force. */
export interface DeflateAgreement {
  response: string;
  params: PerMessageDeflateParams;
}

/** Autobahn's server accept of group 12 and 13.1: the first offer, as it is. */
export const ACCEPT_AS_OFFERED: readonly DeflateRequest[] = [{ noContextTakeover: false, maxWindowBits: 0 }];

/**
 * The valid permessage-deflate offers in a Sec-WebSocket-Extensions value, in order; others
 * (other extensions, bad parameters) are left out.
 */
export function readDeflateOffers(header: string | undefined): DeflateOffer[] {
  const offers: DeflateOffer[] = [];
  for (const element of (header ?? '').split(',')) {
    const [name, ...params] = element.split(';').map((p) => p.trim());
    if (name !== 'permessage-deflate') continue;
    const offer: DeflateOffer = {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: null,
      clientMaxWindowBits: false,
    };
    const seen = new Set<string>();
    let valid = true;
    for (const param of params) {
      const eq = param.indexOf('=');
      const key = (eq === -1 ? param : param.slice(0, eq)).trim();
      const raw = eq === -1 ? undefined : param.slice(eq + 1).trim();
      const value = raw?.replace(/^"(.*)"$/, '$1');
      const bits = value !== undefined && /^(?:[89]|1[0-5])$/.test(value) ? Number(value) : null;
      if (seen.has(key)) valid = false;
      seen.add(key);
      if (key === 'server_no_context_takeover' && value === undefined) offer.serverNoContextTakeover = true;
      else if (key === 'client_no_context_takeover' && value === undefined) offer.clientNoContextTakeover = true;
      else if (key === 'server_max_window_bits' && bits !== null) offer.serverMaxWindowBits = bits;
      else if (key === 'client_max_window_bits' && (value === undefined || bits !== null)) offer.clientMaxWindowBits = bits ?? true;
      else valid = false;
    }
    if (valid) offers.push(offer);
  }
  return offers;
}

/**
 * Accepts one of the client's offers with the first request it allows (requests outer, offers
 * inner, as Autobahn's accept functions chain), or null to decline them all.
 */
export function acceptDeflate(header: string | undefined, requests: readonly DeflateRequest[]): DeflateAgreement | null {
  const offers = readDeflateOffers(header);
  for (const request of requests) {
    for (const offer of offers) {
      if (request.noContextTakeover && !offer.clientNoContextTakeover) continue;
      if (request.maxWindowBits !== 0 && offer.clientMaxWindowBits === false) continue;
      // RFC 7692 7.1.2.2: never more than a value the client offered.
      const offeredBits = typeof offer.clientMaxWindowBits === 'number' ? offer.clientMaxWindowBits : 15;
      const clientBits = request.maxWindowBits === 0 ? 0 : Math.min(request.maxWindowBits, offeredBits);
      const response = [
        'permessage-deflate',
        ...(offer.serverNoContextTakeover ? ['server_no_context_takeover'] : []),
        ...(offer.serverMaxWindowBits === null ? [] : [`server_max_window_bits=${offer.serverMaxWindowBits}`]),
        ...(request.noContextTakeover ? ['client_no_context_takeover'] : []),
        ...(clientBits === 0 ? [] : [`client_max_window_bits=${clientBits}`]),
      ].join('; ');
      return {
        response,
        params: {
          serverNoContextTakeover: offer.serverNoContextTakeover,
          clientNoContextTakeover: request.noContextTakeover,
          serverMaxWindowBits: offer.serverMaxWindowBits ?? 15,
          clientMaxWindowBits: clientBits === 0 ? offeredBits : clientBits,
        },
      };
    }
  }
  return null;
}

/** A request list in words, for case titles: "(True, 8), (False, 0)" as Autobahn writes it. */
export function describeRequests(requests: readonly DeflateRequest[]): string {
  return requests.map((r) => `(${r.noContextTakeover ? 'True' : 'False'}, ${r.maxWindowBits})`).join(', ');
}
