/**
 * permessage-deflate negotiation (RFC 7692 5, 7.1): the server picks the first acceptable offer in
 * Sec-WebSocket-Extensions and answers it; the client makes its offer and checks the answer. The
 * agreed parameters go to PerMessageDeflate (permessage-deflate.ts), which does the zlib work.
 */
import { describe, InvalidArgumentError } from '@http-kit/core';
import type { WebSocketDeflateOptions } from '@http-kit/http1';
import { formatExtension, parseExtensions, type Extension } from './extensions.js';

/** permessage-deflate options: the same as the server's `perMessageDeflate` option takes. */
export type PerMessageDeflateOptions = WebSocketDeflateOptions;

/** The parameters agreed in the handshake, named from the wire (server = server-to-client). */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

export const EXTENSION_NAME = 'permessage-deflate';
export const MAX_BITS = 15;

// ---------------------------------------------------------------------------------------------
// Negotiation

/** An offer's or a response's parameters, read and checked (RFC 7692 7.1). */
interface ReadParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  /** `true`: named without a value (allowed in an offer only). */
  clientMaxWindowBits: number | true | undefined;
}

// RFC 7692 7.1.2: "a decimal integer without leading zeroes between 8 to 15, inclusive".
const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

/** The parameters of one permessage-deflate element, or why they are not acceptable. */
function readParams(extension: Extension, isResponse: boolean): ReadParams | string {
  if (extension.repeated.length > 0) return `parameter ${extension.repeated[0]} given more than once`;
  const read: ReadParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  const params = extension.params;
  for (const name of Object.keys(params)) {
    const value = params[name];
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== true) return `${name} takes no value, got ${describe(value)}`;
        if (name === 'server_no_context_takeover') read.serverNoContextTakeover = true;
        else read.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
      case 'client_max_window_bits': {
        let bits: number | true;
        if (value === true) {
          if (isResponse || name === 'server_max_window_bits') return `${name} needs a value`;
          bits = true;
        } else {
          if (!WINDOW_BITS.test(value)) return `${name} must be 8..15, got ${describe(value)}`;
          bits = Number(value);
        }
        if (name === 'server_max_window_bits') read.serverMaxWindowBits = bits as number;
        else read.clientMaxWindowBits = bits;
        break;
      }
      default:
        return `unknown parameter ${describe(name)}`;
    }
  }
  return read;
}

/**
 * Server side: the first permessage-deflate offer in Sec-WebSocket-Extensions that can be
 * accepted under `options`, with the response header value to send and the agreed parameters;
 * null when there is none. Offers with unknown, repeated or invalid parameters are declined
 * (RFC 7692 7.1), as are offers that do not let the client's window be limited when
 * `options.clientMaxWindowBits` asks for it. A header that breaks the extension grammar throws
 * `ExtensionHeaderError` (answer 400).
 *
 * @example
 * negotiateServer('permessage-deflate; client_max_window_bits', {});
 * // { response: 'permessage-deflate', params: { serverNoContextTakeover: false, ..., clientMaxWindowBits: 15 } }
 */
export function negotiateServer(
  header: string | undefined,
  options: PerMessageDeflateOptions,
): { response: string; params: DeflateParams } | null {
  checkOptions('negotiateServer', options);
  if (header === undefined) return null;
  for (const extension of parseExtensions(header)) {
    if (extension.name !== EXTENSION_NAME) continue;
    const offer = readParams(extension, false);
    if (typeof offer === 'string') continue;
    // The client must be able to narrow its window when we want it narrowed (7.1.2.2).
    if (options.clientMaxWindowBits !== undefined && offer.clientMaxWindowBits === undefined) continue;

    const response: Record<string, number | true> = {};
    const serverNoContextTakeover = offer.serverNoContextTakeover || options.serverNoContextTakeover === true;
    const clientNoContextTakeover = offer.clientNoContextTakeover || options.clientNoContextTakeover === true;
    if (serverNoContextTakeover) response.server_no_context_takeover = true;
    if (clientNoContextTakeover) response.client_no_context_takeover = true;
    // Ours: the smaller of what the client allows and what we are configured with (7.1.2.1).
    const serverMaxWindowBits = Math.min(offer.serverMaxWindowBits ?? MAX_BITS, options.serverMaxWindowBits ?? MAX_BITS);
    if (offer.serverMaxWindowBits !== undefined || options.serverMaxWindowBits !== undefined)
      response.server_max_window_bits = serverMaxWindowBits;
    // The client's: only when it said it can honour it (7.1.2.2); a value it gave is an upper bound.
    let clientMaxWindowBits = MAX_BITS;
    if (offer.clientMaxWindowBits !== undefined) {
      const offered = offer.clientMaxWindowBits === true ? MAX_BITS : offer.clientMaxWindowBits;
      clientMaxWindowBits = Math.min(offered, options.clientMaxWindowBits ?? MAX_BITS);
      if (offer.clientMaxWindowBits !== true || options.clientMaxWindowBits !== undefined)
        response.client_max_window_bits = clientMaxWindowBits;
    }
    return {
      response: formatExtension(EXTENSION_NAME, response),
      params: { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits },
    };
  }
  return null;
}

/**
 * Client side: the Sec-WebSocket-Extensions value to offer. It always names
 * client_max_window_bits (with our limit, or bare: "you may limit my window").
 *
 * @example
 * clientOffer({});                               // 'permessage-deflate; client_max_window_bits'
 * clientOffer({ serverNoContextTakeover: true }); // 'permessage-deflate; server_no_context_takeover; client_max_window_bits'
 */
export function clientOffer(options: PerMessageDeflateOptions): string {
  checkOptions('clientOffer', options);
  const params: Record<string, number | true> = {};
  if (options.serverNoContextTakeover === true) params.server_no_context_takeover = true;
  if (options.clientNoContextTakeover === true) params.client_no_context_takeover = true;
  if (options.serverMaxWindowBits !== undefined) params.server_max_window_bits = options.serverMaxWindowBits;
  params.client_max_window_bits = options.clientMaxWindowBits ?? true;
  return formatExtension(EXTENSION_NAME, params);
}

/**
 * Client side: checks the server's Sec-WebSocket-Extensions against the offer `clientOffer(options)`
 * made. The agreed parameters; null when the server did not accept (no header); or, when the
 * answer is not acceptable (an extension we did not offer, bad or unasked-for parameters, a
 * parameter we asked for and it ignored), the reason as a string: fail the connection with it.
 *
 * @example
 * acceptServerResponse('permessage-deflate; server_no_context_takeover', {});
 * // { serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }
 */
export function acceptServerResponse(header: string | undefined, options: PerMessageDeflateOptions): DeflateParams | null | string {
  checkOptions('acceptServerResponse', options);
  if (header === undefined) return null;
  let list: Extension[];
  try {
    list = parseExtensions(header);
  } catch (error) {
    return (error as Error).message;
  }
  if (list.length === 0) return null;
  for (const extension of list) {
    if (extension.name !== EXTENSION_NAME) return `the server accepted the extension ${describe(extension.name)}, which was not offered`;
  }
  if (list.length > 1) return `the server accepted ${EXTENSION_NAME} ${list.length} times`;
  const answer = readParams(list[0], true);
  if (typeof answer === 'string') return `${EXTENSION_NAME} response: ${answer}`;
  if (options.serverNoContextTakeover === true && !answer.serverNoContextTakeover) {
    return `${EXTENSION_NAME} response: server_no_context_takeover was asked for and is missing`;
  }
  if (
    options.serverMaxWindowBits !== undefined &&
    (answer.serverMaxWindowBits === undefined || answer.serverMaxWindowBits > options.serverMaxWindowBits)
  ) {
    return `${EXTENSION_NAME} response: server_max_window_bits=${options.serverMaxWindowBits} was asked for, got ${answer.serverMaxWindowBits ?? 'none'}`;
  }
  const clientBits = answer.clientMaxWindowBits as number | undefined;
  if (clientBits !== undefined && options.clientMaxWindowBits !== undefined && clientBits > options.clientMaxWindowBits) {
    return `${EXTENSION_NAME} response: client_max_window_bits=${clientBits} is more than the ${options.clientMaxWindowBits} offered`;
  }
  return {
    serverNoContextTakeover: answer.serverNoContextTakeover,
    clientNoContextTakeover: answer.clientNoContextTakeover || options.clientNoContextTakeover === true,
    serverMaxWindowBits: answer.serverMaxWindowBits ?? MAX_BITS,
    clientMaxWindowBits: Math.min(clientBits ?? MAX_BITS, options.clientMaxWindowBits ?? MAX_BITS),
  };
}

export function checkOptions(where: string, options: PerMessageDeflateOptions): void {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`${where}: options must be an object, got ${describe(options)}`);
  checkInteger(where, 'serverMaxWindowBits', options.serverMaxWindowBits, 8, 15);
  checkInteger(where, 'clientMaxWindowBits', options.clientMaxWindowBits, 8, 15);
  checkInteger(where, 'level', options.level, 0, 9);
  checkInteger(where, 'memLevel', options.memLevel, 1, 9);
  checkInteger(where, 'concurrency', options.concurrency, 1, Number.MAX_SAFE_INTEGER);
  checkInteger(where, 'threshold', options.threshold, 0, Number.MAX_SAFE_INTEGER);
  for (const name of ['serverNoContextTakeover', 'clientNoContextTakeover'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== 'boolean')
      throw new InvalidArgumentError(`${where}: ${name} must be a boolean, got ${describe(value)}`);
  }
}

export function checkInteger(where: string, name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `${where}: ${name} must be an integer from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'up' : max}, got ${describe(value)}`,
    );
  }
}
