/**
 * Following redirects: which responses are followed, and how the request changes for the next
 * hop. 301/302/303 become a GET without a body (HEAD stays HEAD); 307/308 keep the method and
 * the body, which is only possible when the body can be sent again. Credentials (Authorization,
 * Cookie, Proxy-Authorization) do not leave the origin they were given for: a proxy's own
 * credentials belong in the `proxy` URL, which every hop keeps.
 */
import type { HttpKitError } from '@http-kit/core';
import { InvalidRequestError, TooManyRedirectsError } from './errors.js';
import {
  HAS_AUTHORIZATION,
  HAS_HOST,
  HAS_CONTENT_LENGTH,
  HAS_CONTENT_TYPE,
  HAS_TRANSFER_ENCODING,
  type PreparedRequest,
} from './options.js';
import { parseTarget } from './target.js';

export function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Whether a response with `status` and a Location header is followed rather than returned. */
export function shouldFollow(req: PreparedRequest, status: number): boolean {
  if (!req.followRedirects || !isRedirect(status)) return false;
  // 307/308 resend the body: not possible once a stream has been read.
  return status < 307 || req.replayable || req.method === 'GET' || req.method === 'HEAD';
}

/** Headers that describe a body, dropped with it. */
const BODY_HEADERS = new Set(['content-type', 'content-length', 'transfer-encoding', 'content-encoding']);
/**
 * Credentials that stay with their origin. Proxy-Authorization too: set as a header, it is sent
 * to whatever answers (the origin itself through a tunnel), so it must not follow a redirect
 * to a host that did not get it from the caller.
 */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * Rewrites `req` to follow a redirect to `location` (hop number `hop`). Returns the error to
 * fail with, or null.
 */
export function followRedirect(req: PreparedRequest, status: number, location: string, hop: number): HttpKitError | null {
  if (hop > req.maxRedirects) {
    return new TooManyRedirectsError(
      `more than ${req.maxRedirects} redirects (the last to ${JSON.stringify(location)} from ${req.target.href})`,
    );
  }
  let next: ReturnType<typeof parseTarget>;
  try {
    next = parseTarget(location, req.target.href);
  } catch (error) {
    return error instanceof InvalidRequestError
      ? new InvalidRequestError(`cannot follow the redirect from ${req.target.href}: ${error.message}`, { cause: error })
      : (error as HttpKitError);
  }
  const toGet =
    status === 303 ? req.method !== 'HEAD' : (status === 301 || status === 302) && req.method !== 'GET' && req.method !== 'HEAD';
  const crossOrigin = !next.sameOrigin(req.target);
  if (toGet) {
    req.method = 'GET';
    req.body = null;
    req.bodyStream = null;
    req.replayable = true;
    req.headerFlags &= ~(HAS_CONTENT_TYPE | HAS_CONTENT_LENGTH | HAS_TRANSFER_ENCODING);
  }
  if ((toGet || crossOrigin) && req.headerNames !== null) {
    const names = req.headerNames;
    const values = req.headerValues!;
    const keptNames: string[] = [];
    const keptValues: string[] = [];
    for (let i = 0; i < names.length; i++) {
      const lower = names[i].toLowerCase();
      if (toGet && BODY_HEADERS.has(lower)) continue;
      if (crossOrigin && (CREDENTIAL_HEADERS.has(lower) || lower === 'host')) continue;
      keptNames.push(names[i]);
      keptValues.push(values[i]);
    }
    req.headerNames = keptNames.length === 0 ? null : keptNames;
    req.headerValues = keptNames.length === 0 ? null : keptValues;
  }
  if (crossOrigin) {
    req.headerFlags &= ~(HAS_AUTHORIZATION | HAS_HOST);
    if (next.auth !== null) {
      (req.headerNames ??= []).push('Authorization');
      (req.headerValues ??= []).push(next.auth);
      req.headerFlags |= HAS_AUTHORIZATION;
    }
  }
  req.target = next;
  req.path = next.path;
  return null;
}
