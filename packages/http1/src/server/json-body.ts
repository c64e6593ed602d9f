/**
 * readJson(req): a request's body as JSON, or undefined when it has none; a body that does not
 * parse throws InvalidJsonBodyError naming the request's Content-Type.
 */
import { parseJsonBody, type Request } from './request.js';

/**
 * The request's body parsed as JSON; `undefined` when the request has no body (`req.body` is
 * null, as for a GET). Throws `InvalidJsonBodyError` (HTTPKIT_BAD_JSON_BODY) for a body that does
 * not parse, naming the Content-Type and the parser's reason, and `RequestBodyTooLargeError` past
 * `maxBody`. The Content-Type is not checked: a handler that insists on `application/json` checks
 * `req.contentType` itself.
 *
 * @example
 * try {
 *   const input = await readJson(req);
 *   if (input === undefined) return { status: 400, body: 'a JSON body is required' };
 * } catch (e) {
 *   if (e instanceof InvalidJsonBodyError) return { status: 400, body: e.message };
 *   throw e;
 * }
 */
export async function readJson<T = unknown>(req: Request): Promise<T | undefined> {
  if (req.body === null) return undefined;
  return parseJsonBody((await req.body.readWhole('readJson(req)')).toString('utf8'), req.contentType) as T;
}
