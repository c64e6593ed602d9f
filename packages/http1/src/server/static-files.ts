/**
 * serveStatic(root): files from a directory, safely. The request path is decoded one segment at a
 * time and refused when a segment could leave the root (`..`, an encoded `/` or `\`, NUL); the
 * file found is resolved (realpath) and refused when a symlink leads outside the root. Answers
 * carry a weak ETag and Last-Modified (304 on If-None-Match / If-Modified-Since), honour one
 * `Range: bytes=` (206, or 416), and stream the file with backpressure (a `FileBody`).
 */
import { realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { describe, InvalidArgumentError } from '@http-kit/core';
import { FileBody, type Response, type ResponseHeaders } from './body-types.js';
import type { Request } from './request.js';

export interface StaticOptions {
  /** The file served for a directory, or false for none (a directory is then not found). Default `'index.html'`. */
  index?: string | false;
  /** A path prefix the files are mounted under (`'/static'`); other paths are not found. Default none. */
  prefix?: string;
  /** Serve files and directories whose name starts with `.` (default false: they are not found). */
  dotfiles?: boolean;
  /** Follow symlinks that lead outside the root (default false: 403). */
  allowSymlinksOutsideRoot?: boolean;
  /** A `Cache-Control` value for the files served (default none). */
  cacheControl?: string;
}

/** What serveStatic returns: a handler answering for the files it has, `null` for the others. */
export type StaticHandler = (req: Request) => Promise<Response | null>;

const OPTION_NAMES = ['index', 'prefix', 'dotfiles', 'allowSymlinksOutsideRoot', 'cacheControl'];

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.pdf': 'application/pdf',
};

/**
 * A handler for the files under `root`: GET and HEAD answered with the file (200, 206 for a
 * range, 304 when the client's copy is current, 416 for a range past the end), other methods
 * 405 when the file exists; `null` when there is no such file, so the caller routes on. A path
 * that tries to leave the root gets 403, a malformed `%` escape 400. A directory is answered with
 * its `index.html` (a path without its final `/` is redirected, 301, to the one with it).
 *
 * @example
 * const assets = serveStatic('./public', { prefix: '/static', cacheControl: 'max-age=3600' });
 * await runServer(async (req) => (await assets(req)) ?? routes(req));
 */
export function serveStatic(root: string, options: StaticOptions = {}): StaticHandler {
  if (typeof root !== 'string' || root === '')
    throw new InvalidArgumentError(`serveStatic: root must be a directory path, not ${describe(root)}`);
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`serveStatic: options must be an object, not ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key))
      throw new InvalidArgumentError(`serveStatic: unknown option ${describe(key)} (known: ${OPTION_NAMES.join(', ')})`);
  }
  const index = options.index ?? 'index.html';
  if (index !== false && (typeof index !== 'string' || index === '' || /[/\\\0]/.test(index) || index === '..')) {
    throw new InvalidArgumentError(`serveStatic: index must be a file name or false, not ${describe(index)}`);
  }
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string' || (prefix !== '' && (!prefix.startsWith('/') || prefix.endsWith('/')))) {
    throw new InvalidArgumentError(`serveStatic: prefix must start with '/' and not end with it ('/static'), not ${describe(prefix)}`);
  }
  const cacheControl = options.cacheControl;
  if (cacheControl !== undefined && typeof cacheControl !== 'string')
    throw new InvalidArgumentError(`serveStatic: cacheControl must be a string, not ${describe(cacheControl)}`);
  return new StaticFiles(root, index, prefix, options.dotfiles === true, options.allowSymlinksOutsideRoot === true, cacheControl).handler;
}

/** A found file: its real path and stats. */
interface Found {
  path: string;
  stats: Stats;
}

function plain(status: number, text: string): Response {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: text };
}

class StaticFiles {
  /** The root's real path and separator-terminated form, once resolved. */
  private realRoot: string | null = null;
  private realRootSlash = '';
  readonly handler: StaticHandler;

  constructor(
    private readonly root: string,
    private readonly index: string | false,
    private readonly prefix: string,
    private readonly dotfiles: boolean,
    private readonly outsideSymlinks: boolean,
    private readonly cacheControl: string | undefined,
  ) {
    this.handler = (req) => this.serve(req);
  }

  private async serve(req: Request): Promise<Response | null> {
    let path = req.uri;
    if (this.prefix !== '') {
      if (path !== this.prefix && !path.startsWith(`${this.prefix}/`)) return null;
      path = path.slice(this.prefix.length) || '/';
    }
    if (path.charCodeAt(0) !== 47 /* / */) return null;
    const segments = decodeSegments(path);
    if (segments === 'malformed') return plain(400, 'Malformed percent-encoding in the path\n');
    if (segments === 'forbidden') return plain(403, 'Forbidden\n');
    if (!this.dotfiles && segments.some((s) => s.charCodeAt(0) === 46 /* . */)) return null;

    let found = await this.find(segments);
    if (found === 'forbidden') return plain(403, 'Forbidden\n');
    if (found === null) return null;
    if (found.stats.isDirectory()) {
      if (this.index === false) return null;
      if (!req.uri.endsWith('/')) {
        // Built from the decoded segments: `//evil.example` cannot become a protocol-relative Location.
        const tail = segments.length === 0 ? '' : `${segments.map(encodeURIComponent).join('/')}/`;
        const query = req.queryString === null ? '' : `?${req.queryString}`;
        return { status: 301, headers: { location: `${this.prefix}/${tail}${query}` } };
      }
      found = await this.find([...segments, this.index]);
      if (found === 'forbidden') return plain(403, 'Forbidden\n');
      if (found === null || !found.stats.isFile()) return null;
    }
    if (!found.stats.isFile()) return null;

    const method = req.requestMethod;
    if (method !== 'get' && method !== 'head') {
      return { status: 405, headers: { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, body: 'Method Not Allowed\n' };
    }
    return this.answer(req, found);
  }

  /** The real path and stats of root/segments; null when missing, 'forbidden' when a symlink leaves the root. */
  private async find(segments: string[]): Promise<Found | null | 'forbidden'> {
    const root = await this.resolveRoot();
    if (root === null) return null;
    let real: string;
    try {
      real = await realpath(join(root, ...segments));
    } catch {
      return null; // ENOENT, ENOTDIR, ELOOP, EACCES: nothing to serve
    }
    if (real !== root && !real.startsWith(this.realRootSlash) && !this.outsideSymlinks) return 'forbidden';
    try {
      return { path: real, stats: await stat(real) };
    } catch {
      return null;
    }
  }

  private async resolveRoot(): Promise<string | null> {
    if (this.realRoot === null) {
      try {
        this.realRoot = await realpath(this.root);
      } catch {
        return null; // not there (yet): every request is not found
      }
      this.realRootSlash = this.realRoot.endsWith(sep) ? this.realRoot : this.realRoot + sep;
    }
    return this.realRoot;
  }

  private answer(req: Request, found: Found): Response {
    const { size, mtime, mtimeMs } = found.stats;
    const etag = `W/"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
    const lastModified = mtime.toUTCString();
    const headers: ResponseHeaders = { etag, 'last-modified': lastModified };
    if (this.cacheControl !== undefined) headers['cache-control'] = this.cacheControl;
    if (notModified(req, etag, mtimeMs)) return { status: 304, headers };

    headers['content-type'] = CONTENT_TYPES[extname(found.path).toLowerCase()] ?? 'application/octet-stream';
    headers['accept-ranges'] = 'bytes';
    const rangeHeader = req.headers.range;
    if (rangeHeader !== undefined && req.requestMethod === 'get' && size > 0 && ifRangeHolds(req.headers['if-range'], lastModified)) {
      const range = parseRange(rangeHeader, size);
      if (range === 'unsatisfiable') {
        headers['content-range'] = `bytes */${size}`;
        headers['content-type'] = 'text/plain; charset=utf-8';
        return { status: 416, headers, body: 'Range Not Satisfiable\n' };
      }
      if (range !== null) {
        headers['content-range'] = `bytes ${range[0]}-${range[1]}/${size}`;
        return { status: 206, headers, body: new FileBody(found.path, range[0], range[1] + 1) };
      }
    }
    return { status: 200, headers, body: new FileBody(found.path) };
  }
}

/**
 * The path's segments, each percent-decoded; empty and `.` segments dropped. 'forbidden' when a
 * segment is `..` or decodes to something holding `/`, `\` or NUL; 'malformed' for a bad escape.
 */
function decodeSegments(path: string): string[] | 'forbidden' | 'malformed' {
  const segments: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return 'malformed';
    }
    if (segment === '.') continue;
    if (segment === '..' || segment.includes('/') || segment.includes('\\') || segment.includes('\0')) return 'forbidden';
    segments.push(segment);
  }
  return segments;
}

/** RFC 9110 13.1.2-3: If-None-Match (weak comparison) wins over If-Modified-Since. */
function notModified(req: Request, etag: string, mtimeMs: number): boolean {
  const noneMatch = req.headers['if-none-match'];
  if (noneMatch !== undefined) {
    if (noneMatch.trim() === '*') return true;
    const opaque = etag.slice(2);
    return noneMatch.split(',').some((tag) => {
      const t = tag.trim();
      return (t.startsWith('W/') ? t.slice(2) : t) === opaque;
    });
  }
  const since = req.headers['if-modified-since'];
  if (since === undefined) return false;
  const date = Date.parse(since);
  return !Number.isNaN(date) && Math.floor(mtimeMs / 1000) <= Math.floor(date / 1000);
}

/** If-Range: our ETag is weak, so only a date equal to Last-Modified lets the range through. */
function ifRangeHolds(ifRange: string | undefined, lastModified: string): boolean {
  return ifRange === undefined || ifRange.trim() === lastModified;
}

const RANGE = /^bytes=(\d*)-(\d*)$/;

/**
 * One `bytes=a-b`, `a-` or `-n` range as inclusive [start, end] within `size`; null for a header
 * this serves in full instead (malformed, another unit, several ranges: RFC 9110 14.2 lets a
 * server ignore Range), 'unsatisfiable' for a range past the end.
 */
function parseRange(header: string, size: number): [number, number] | null | 'unsatisfiable' {
  const match = RANGE.exec(header.trim());
  if (match === null) return null;
  const [, first, last] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return [start, last === '' ? size - 1 : Math.min(Number(last), size - 1)];
}
