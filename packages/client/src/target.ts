/**
 * Where a request goes: a URL taken apart once into what the connection and the request head
 * need (scheme, host, port, Host header, path, origin key). Parsed URLs are cached per client,
 * so a request to a URL seen before costs a Map lookup instead of a `new URL`.
 */
import { isIP } from 'node:net';
import { InvalidRequestError } from './errors.js';

/** A serialised request head and what it was made with. */
export interface CachedHead {
  userAgent: string;
  close: boolean;
  bytes: Buffer;
}

export class Target {
  /** The URL without its fragment. */
  readonly href: string;
  readonly https: boolean;
  /** Host name or address to connect to (IPv6 without brackets). */
  readonly hostname: string;
  readonly port: number;
  /** The Host header's value: host, plus the port when it is not the scheme's default. */
  readonly hostHeader: string;
  /** Origin-form request target: path and query. */
  readonly path: string;
  /** `scheme://host:port`: the pool key of a direct connection. */
  readonly origin: string;
  /** `Basic ...` from user info in the URL, or null. */
  readonly auth: string | null;
  /** The TLS server name (SNI), or '' when the host is an IP address (SNI forbids those). */
  readonly servername: string;
  /**
   * Request heads for requests without options of their own, by method: the same bytes every
   * time, so they are serialised once (see request-writer.ts).
   */
  heads: Map<string, CachedHead> | null = null;

  constructor(url: URL) {
    this.https = url.protocol === 'https:';
    const host = url.hostname;
    this.hostname = host.charCodeAt(0) === 91 /* [ */ ? host.slice(1, -1) : host;
    this.port = url.port === '' ? (this.https ? 443 : 80) : Number(url.port);
    this.hostHeader = url.host;
    this.path = (url.pathname || '/') + url.search;
    this.origin = `${url.protocol}//${host}:${this.port}`;
    this.href = `${url.protocol}//${url.host}${this.path}`;
    this.auth =
      url.username === '' && url.password === '' ? null : basicAuth(decodeURIComponent(url.username), decodeURIComponent(url.password));
    this.servername = isIP(this.hostname) === 0 ? this.hostname : '';
  }

  /** Whether `other` is the same origin (scheme, host and port). */
  sameOrigin(other: Target): boolean {
    return this.origin === other.origin;
  }
}

/** The `Authorization` value of HTTP basic authentication. */
export function basicAuth(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
}

/** Parses `url` (relative to `base` when given) into a Target, or throws InvalidRequestError. */
export function parseTarget(url: string | URL, base?: string): Target {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url, base) : url;
  } catch (error) {
    throw new InvalidRequestError(`invalid URL: ${JSON.stringify(String(url))}`, { cause: error });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidRequestError(
      `unsupported URL scheme ${JSON.stringify(parsed.protocol)} in ${JSON.stringify(parsed.href)}: only http: and https:`,
    );
  }
  if (parsed.hostname === '') throw new InvalidRequestError(`URL without a host: ${JSON.stringify(parsed.href)}`);
  return new Target(parsed);
}

const CACHE_LIMIT = 1024;

/** Parsed URLs by their string, per client. Emptied when full: simpler than LRU, and as good for the usual few hosts. */
export class TargetCache {
  private readonly map = new Map<string, Target>();

  get(url: string | URL): Target {
    if (typeof url !== 'string') return parseTarget(url);
    let target = this.map.get(url);
    if (target === undefined) {
      target = parseTarget(url);
      if (this.map.size >= CACHE_LIMIT) this.map.clear();
      this.map.set(url, target);
    }
    return target;
  }
}
