/**
 * formParams: an `application/x-www-form-urlencoded` body (an HTML form's default) read and
 * parsed into `req.formParams` before the handler runs: `+` is a space, `%XX` utf-8, a repeated
 * key an array in order. A body over `maxBody` is answered 413, a malformed one 400 (a bad
 * percent escape, bytes that are not utf-8), each saying what was wrong.
 */
import { isUtf8 } from 'node:buffer';
import type { Handler, Request, Response } from '@http-kit/http1';
import type { Middleware } from './compose.js';
import { checkOptions, countOption } from './options.js';

export interface FormParamsOptions {
  /** Largest form body read, bytes (default 1 MiB = 1048576; the server's `maxBody` applies too). */
  maxBody?: number;
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Whether `contentType` is a url-encoded form (parameters after `;` allowed). */
export function isFormType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase() === FORM_TYPE;
}

export function plainError(status: number, text: string): Response {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${text}\n` };
}

class MalformedForm extends Error {}

const ESCAPE = /%(?![0-9a-fA-F]{2})/;

function decodeComponent(text: string): string {
  const spaced = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (!spaced.includes('%')) return spaced;
  const bad = ESCAPE.exec(spaced);
  if (bad !== null)
    throw new MalformedForm(
      `a bad percent escape ${JSON.stringify(spaced.slice(bad.index, bad.index + 3))} (% must be followed by two hex digits)`,
    );
  try {
    return decodeURIComponent(spaced);
  } catch {
    throw new MalformedForm(`${JSON.stringify(spaced.slice(0, 60))} escapes bytes that are not utf-8`);
  }
}

/**
 * Parses a url-encoded form; repeated keys become arrays. Throws on a malformed escape.
 *
 * @example
 * parseForm('a=1&b=x+y&a=2'); // { a: ['1', '2'], b: 'x y' }
 */
export function parseForm(text: string): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = Object.create(null);
  if (text === '') return params;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1));
    const old = params[key];
    if (old === undefined) params[key] = value;
    else if (Array.isArray(old)) old.push(value);
    else params[key] = [old, value];
  }
  return params;
}

/**
 * Whether `error` says the request body was cut off under the reader: the client went away, or
 * the server refused the body (over its `maxBody`, answered 413 by the server itself). Nothing is
 * wrong with the program then, and nobody is left to read an answer: no error is logged.
 */
export function bodyCutOff(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'HTTPKIT_REQUEST_BODY_ABORTED' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    code === 'HTTPKIT_REQUEST_BODY_TOO_LARGE' ||
    code === 'ECONNRESET'
  );
}

/** What a middleware answers to a body cut off: usually dropped, the connection being gone or answered. */
export const BODY_CUT_OFF = (): Response => plainError(400, 'The request body ended before it was whole');

/** The body whole, or a response saying it is too large. */
export async function readLimited(req: Request, limit: number, what: string): Promise<Buffer | Response> {
  const body = req.body;
  if (body === null) return Buffer.alloc(0);
  const declared = req.contentLength;
  if (declared !== null && declared > limit)
    return plainError(413, `${what} of ${declared} bytes is over the limit of ${limit} bytes (maxBody)`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      return plainError(413, `${what} is over the limit of ${limit} bytes (maxBody)`);
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}

/**
 * Parses url-encoded form bodies into `req.formParams` (an empty object for other requests).
 *
 * @example
 * const app = compose(formParams())((req) => `hello ${req.formParams.name}`);
 * // curl -d name=ada http://127.0.0.1:8080/  ->  hello ada
 */
export function formParams(options?: FormParamsOptions): Middleware {
  const opts = checkOptions('formParams', options, ['maxBody']);
  const maxBody = countOption('formParams', 'maxBody', opts.maxBody, 1024 * 1024);
  return (handler: Handler): Handler =>
    async (req) => {
      if (!isFormType(req.contentType) || req.body === null) {
        req.formParams = Object.create(null) as Record<string, string>;
        return handler(req);
      }
      let bytes: Buffer | Response;
      try {
        bytes = await readLimited(req, maxBody, 'The form body');
      } catch (error) {
        if (bodyCutOff(error)) return BODY_CUT_OFF();
        throw error;
      }
      if (!Buffer.isBuffer(bytes)) return bytes;
      if (!isUtf8(bytes)) return plainError(400, 'Malformed form body: it is not utf-8 text');
      try {
        req.formParams = parseForm(bytes.toString('utf8'));
      } catch (error) {
        if (error instanceof MalformedForm) return plainError(400, `Malformed form body: ${error.message}`);
        throw error;
      }
      return handler(req);
    };
}
