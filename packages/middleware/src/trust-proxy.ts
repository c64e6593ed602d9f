/**
 * trustProxy: behind a reverse proxy the socket's peer is the proxy. When that peer is one of
 * the trusted hops (addresses or CIDRs), the client's address, scheme and host are taken from
 * `Forwarded` (RFC 7239) or, without it, `X-Forwarded-For` / `-Proto` / `-Host`; from any other
 * peer those headers are ignored, since anyone can send them.
 */
import { BlockList, isIP } from 'node:net';
import { describe, InvalidArgumentError } from '@http-kit/core';
import type { Handler, Request } from '@http-kit/http1';
import type { Middleware } from './compose.js';
import { checkOptions } from './options.js';

export interface TrustProxyOptions {
  /**
   * The proxies trusted to tell who the client is: addresses (`'10.0.0.5'`, `'::1'`) and CIDRs
   * (`'10.0.0.0/8'`, `'fd00::/8'`). Default: loopback (`'127.0.0.0/8'`, `'::1'`), a proxy on
   * the same machine.
   */
  trusted?: readonly string[];
}

const DEFAULT_TRUSTED = ['127.0.0.0/8', '::1'];

/** One hop's list entry parsed: an address with an optional prefix length. */
function addTrusted(list: BlockList, entry: string): void {
  if (typeof entry !== 'string')
    throw new InvalidArgumentError(`trustProxy: each of trusted must be an address or CIDR string, got ${describe(entry)}`);
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0)
    throw new InvalidArgumentError(
      `trustProxy: ${JSON.stringify(entry)} in trusted is not an IP address or CIDR (such as '10.0.0.0/8' or '::1')`,
    );
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (slash === -1) {
    list.addAddress(address, type);
    return;
  }
  const prefix = Number(entry.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128) || entry.slice(slash + 1) === '')
    throw new InvalidArgumentError(
      `trustProxy: ${JSON.stringify(entry)} in trusted has a bad prefix length (0 to ${family === 4 ? 32 : 128})`,
    );
  list.addSubnet(address, prefix, type);
}

/** An address as the socket reports it, IPv4-mapped IPv6 ('::ffff:1.2.3.4') as IPv4. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** The address of a `for=` or X-Forwarded-For item: quotes, brackets and a port removed; null when it is no address ('unknown', '_hidden'). */
function hopAddress(item: string): string | null {
  let value = item.trim();
  if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    value = close === -1 ? '' : value.slice(1, close);
  } else if (isIP(value) === 0) {
    const colon = value.lastIndexOf(':');
    if (colon !== -1 && value.indexOf(':') === colon) value = value.slice(0, colon); // IPv4:port
  }
  return isIP(value) === 0 ? null : plain(value);
}

interface Hop {
  address: string | null;
  proto?: string;
  host?: string;
}

/** `Forwarded: for=1.2.3.4;proto=https;host=x, for=...` as hops, leftmost (nearest the client) first. */
function forwardedHops(header: string): Hop[] {
  const hops: Hop[] = [];
  for (const element of header.split(',')) {
    const hop: Hop = { address: null };
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1) continue;
      const name = pair.slice(0, eq).trim().toLowerCase();
      let value = pair.slice(eq + 1).trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
      if (name === 'for') hop.address = hopAddress(value);
      else if (name === 'proto') hop.proto = value.toLowerCase();
      else if (name === 'host') hop.host = value;
    }
    hops.push(hop);
  }
  return hops;
}

function lastItem(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const comma = header.lastIndexOf(',');
  const item = (comma === -1 ? header : header.slice(comma + 1)).trim();
  return item === '' ? undefined : item;
}

/** Host[:port] into name and port (port NaN when absent or bad). */
function splitHost(host: string): { name: string; port: number } {
  const bracket = host.startsWith('[') ? host.indexOf(']') : -1;
  const colon = host.lastIndexOf(':');
  if (colon > bracket && (bracket !== -1 || host.indexOf(':') === colon))
    return { name: host.slice(0, colon), port: Number(host.slice(colon + 1)) };
  return { name: host, port: Number.NaN };
}

const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i;

/**
 * Sets `req.remoteAddr`, `req.scheme` and `req.serverName` (and `serverPort` when the host has
 * one) from the forwarding headers, when the connection comes from a trusted proxy. The client is
 * the rightmost address that is not itself a trusted proxy; scheme and host are the ones the
 * nearest proxy set (the rightmost value).
 *
 * @example
 * // nginx on the same machine: proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
 * const app = compose(trustProxy({ trusted: ['127.0.0.1', '10.0.0.0/8'] }))((req) => `hello ${req.remoteAddr}`);
 */
export function trustProxy(options?: TrustProxyOptions): Middleware {
  const opts = checkOptions('trustProxy', options, ['trusted']);
  const entries = opts.trusted ?? DEFAULT_TRUSTED;
  if (!Array.isArray(entries))
    throw new InvalidArgumentError(`trustProxy: trusted must be an array of addresses and CIDRs, got ${describe(entries)}`);
  const list = new BlockList();
  for (const entry of entries) addTrusted(list, entry);
  const isTrusted = (address: string): boolean => list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');

  const apply = (req: Request): void => {
    const peer = plain(req.remoteAddr);
    if (isIP(peer) === 0 || !isTrusted(peer)) return;
    const forwarded = req.headers.forwarded;
    let hops: Hop[];
    if (forwarded !== undefined) hops = forwardedHops(forwarded);
    else {
      const xff = req.headers['x-forwarded-for'];
      hops = xff === undefined ? [] : xff.split(',').map((item) => ({ address: hopAddress(item) }));
      const last = hops.length > 0 ? hops[hops.length - 1] : undefined;
      const proto = lastItem(req.headers['x-forwarded-proto']);
      const host = lastItem(req.headers['x-forwarded-host']);
      if (last !== undefined) {
        last.proto = proto;
        last.host = host;
      } else if (proto !== undefined || host !== undefined) hops.push({ address: null, proto, host });
    }
    // Right to left: each trusted hop vouches for the one before it.
    let client: string = peer;
    let proto: string | undefined;
    let host: string | undefined;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i];
      proto = hop.proto ?? proto;
      host = hop.host ?? host;
      if (hop.address === null) break;
      client = hop.address;
      if (!isTrusted(hop.address)) break;
    }
    req.remoteAddr = client;
    if (proto === 'http' || proto === 'https') req.scheme = proto;
    if (host !== undefined && HOST.test(host)) {
      const { name, port } = splitHost(host);
      req.serverName = name.toLowerCase();
      if (Number.isInteger(port) && port > 0 && port < 65536) req.serverPort = port;
    }
  };

  return (handler: Handler): Handler =>
    (req) => {
      apply(req);
      return handler(req);
    };
}
