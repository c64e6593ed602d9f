/**
 * query(req): the query string as a map, parsed on the first call and remembered for the request.
 */
import type { Request } from './request.js';

export type Query = Record<string, string | string[]>;

/** Parsed queries by request: nothing is parsed unless a handler asks, and nothing kept after the request. */
const parsed = new WeakMap<Request, Query>();

/**
 * The request's query string as a map: `+` read as a space, `%XX` decoded as utf-8 (a malformed
 * escape is kept as written), a key given more than once an array of its values in order, a key
 * without `=` the empty string. Parsed on the first call for a request; later calls return the
 * same object. The map has no prototype, so `__proto__` or `constructor` are ordinary keys.
 *
 * @example
 * // GET /search?q=http+kit&tag=a&tag=b
 * query(req); // { q: 'http kit', tag: ['a', 'b'] }
 */
export function query(req: Request): Query {
  let result = parsed.get(req);
  if (result === undefined) {
    result = parseQuery(req.queryString);
    parsed.set(req, result);
  }
  return result;
}

function parseQuery(queryString: string | null): Query {
  const result: Query = Object.create(null) as Query;
  if (queryString === null || queryString === '') return result;
  // URLSearchParams decodes as the URL standard does for forms (application/x-www-form-urlencoded).
  for (const [key, value] of new URLSearchParams(queryString)) {
    const previous = result[key];
    if (previous === undefined) result[key] = value;
    else if (typeof previous === 'string') result[key] = [previous, value];
    else previous.push(value);
  }
  return result;
}
