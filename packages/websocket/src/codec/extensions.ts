/**
 * Sec-WebSocket-Extensions values (RFC 6455 9.1), parsed and written:
 *
 *   extension-list = 1#extension
 *   extension      = extension-token *( ";" extension-param )
 *   extension-param = token [ "=" ( token | quoted-string ) ]
 *
 * where a quoted value must, once unescaped, be a token too. Spaces and tabs are allowed around
 * every separator; empty list elements are skipped. What the parameters mean is the extension's
 * business (permessage-deflate.ts).
 *
 * @example
 * parseExtensions('permessage-deflate; client_max_window_bits, x-foo');
 * // [{ name: 'permessage-deflate', params: { client_max_window_bits: true }, repeated: [] },
 * //  { name: 'x-foo', params: {}, repeated: [] }]
 * formatExtension('permessage-deflate', { server_max_window_bits: 10 });
 * // 'permessage-deflate; server_max_window_bits=10'
 */
import { describe, InvalidArgumentError } from '@http-kit/core';
import { ExtensionHeaderError } from './errors.js';
import { isToken, TOKEN_CHARS } from './tokens.js';

/** One extension of a Sec-WebSocket-Extensions list. */
export interface Extension {
  name: string;
  /** Parameters by name (a null-prototype object): the value, or `true` for a bare name. The first of a repeated name. */
  params: Record<string, string | true>;
  /** Names given more than once (RFC 7692 declines such an offer), each listed once. */
  repeated: string[];
}

/**
 * Parses a Sec-WebSocket-Extensions value (several header lines joined with ', ').
 * Throws `ExtensionHeaderError` on anything that does not follow the grammar; '' gives [].
 */
export function parseExtensions(header: string): Extension[] {
  return new ExtensionParser(header).parse();
}

const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

class ExtensionParser {
  private i = 0;
  constructor(private readonly text: string) {}

  parse(): Extension[] {
    const list: Extension[] = [];
    const text = this.text;
    for (;;) {
      this.skipSpace();
      if (this.i >= text.length) return list;
      if (text.charCodeAt(this.i) === COMMA) {
        this.i++;
        continue;
      }
      const extension: Extension = {
        name: this.token('an extension name'),
        params: Object.create(null) as Record<string, string | true>,
        repeated: [],
      };
      this.skipSpace();
      while (text.charCodeAt(this.i) === SEMICOLON) {
        this.i++;
        this.skipSpace();
        const name = this.token('a parameter name');
        this.skipSpace();
        let value: string | true = true;
        if (text.charCodeAt(this.i) === EQUALS) {
          this.i++;
          this.skipSpace();
          value = text.charCodeAt(this.i) === QUOTE ? this.quoted() : this.token(`a value for ${name}`);
          this.skipSpace();
        }
        if (Object.hasOwn(extension.params, name)) {
          if (!extension.repeated.includes(name)) extension.repeated.push(name);
        } else {
          extension.params[name] = value;
        }
      }
      if (this.i < text.length && text.charCodeAt(this.i) !== COMMA) this.fail(`unexpected ${describe(text[this.i])}`);
      list.push(extension);
    }
  }

  private skipSpace(): void {
    const text = this.text;
    while (this.i < text.length) {
      const c = text.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x09) return;
      this.i++;
    }
  }

  private token(what: string): string {
    const text = this.text;
    const start = this.i;
    while (this.i < text.length) {
      const c = text.charCodeAt(this.i);
      if (c >= 128 || TOKEN_CHARS[c] === 0) break;
      this.i++;
    }
    if (this.i === start) this.fail(`expected ${what}`);
    return text.slice(start, this.i);
  }

  /** A quoted-string whose unescaped value must be a token (RFC 6455 9.1). */
  private quoted(): string {
    const text = this.text;
    const start = this.i;
    this.i++; // the opening quote
    let value = '';
    for (;;) {
      if (this.i >= text.length) {
        this.i = start;
        this.fail('unterminated quoted string');
      }
      const c = text.charCodeAt(this.i++);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        if (this.i >= text.length) continue; // reported as unterminated above
        value += text[this.i++];
      } else {
        value += text[this.i - 1];
      }
    }
    if (!isToken(value)) {
      this.i = start;
      this.fail(`quoted value ${describe(value)} is not a token`);
    }
    return value;
  }

  private fail(what: string): never {
    const shown = this.text.length > 200 ? `${this.text.slice(0, 200)}...` : this.text;
    throw new ExtensionHeaderError(`invalid Sec-WebSocket-Extensions header at offset ${this.i}: ${what} in ${describe(shown)}`);
  }
}

/**
 * Writes one extension with its parameters: `true` as a bare name, numbers and strings as
 * `name=value`. Names and values must be tokens (a number a non-negative integer); throws
 * `InvalidArgumentError` otherwise.
 *
 * @example
 * formatExtension('permessage-deflate', { client_no_context_takeover: true, client_max_window_bits: 12 });
 * // 'permessage-deflate; client_no_context_takeover; client_max_window_bits=12'
 */
export function formatExtension(name: string, params: Record<string, string | number | true>): string {
  if (!isToken(name)) throw new InvalidArgumentError(`formatExtension: the extension name must be a token, got ${describe(name)}`);
  let out = name;
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (!isToken(key)) throw new InvalidArgumentError(`formatExtension: parameter names must be tokens, got ${describe(key)}`);
    if (value === true) {
      out += `; ${key}`;
    } else if ((typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) || (typeof value === 'string' && isToken(value))) {
      out += `; ${key}=${value}`;
    } else {
      throw new InvalidArgumentError(`formatExtension: ${key} must be true, a token or a non-negative integer, got ${describe(value)}`);
    }
  }
  return out;
}
