/**
 * `multipart/form-data` bodies (RFC 7578): one Buffer when every part is in memory, an async
 * iterable (sent chunked) when a part is a stream.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CRLF } from '@http-kit/http1/codec';
import { InvalidRequestError } from './errors.js';

/** One field or file of a multipart body. */
export interface MultipartPart {
  name: string;
  content: string | Uint8Array | Readable | AsyncIterable<Uint8Array | string>;
  /** Makes the part a file upload. */
  filename?: string;
  /** Default `application/octet-stream` for files, none for plain fields. */
  contentType?: string;
}

export interface EncodedMultipart {
  contentType: string;
  body: Buffer | AsyncIterable<Buffer>;
}

/** Quotes a parameter value of Content-Disposition as browsers do (RFC 7578 4.2). */
function quote(value: string): string {
  return '"' + value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22') + '"';
}

/** Encodes `parts` with a random boundary. */
export function encodeMultipart(parts: MultipartPart[]): EncodedMultipart {
  if (!Array.isArray(parts)) throw new InvalidRequestError('multipart must be an array of {name, content} parts');
  const boundary = '----HttpKitFormBoundary' + randomBytes(12).toString('hex');
  const pieces: Array<Buffer | Readable | AsyncIterable<Uint8Array | string>> = [];
  let streaming = false;
  for (const part of parts) {
    if (part === null || typeof part !== 'object' || typeof part.name !== 'string') {
      throw new InvalidRequestError('each multipart part needs a string name');
    }
    let head = `--${boundary}\r\nContent-Disposition: form-data; name=${quote(part.name)}`;
    if (part.filename !== undefined) head += `; filename=${quote(part.filename)}`;
    head += '\r\n';
    const type = part.contentType ?? (part.filename !== undefined ? 'application/octet-stream' : undefined);
    if (type !== undefined) head += `Content-Type: ${type}\r\n`;
    head += '\r\n';
    pieces.push(Buffer.from(head, 'utf8'));
    const content = part.content;
    if (typeof content === 'string') pieces.push(Buffer.from(content, 'utf8'));
    else if (content instanceof Uint8Array) pieces.push(Buffer.from(content.buffer, content.byteOffset, content.byteLength));
    else if (
      content !== null &&
      typeof content === 'object' &&
      typeof (content as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
    ) {
      pieces.push(content);
      streaming = true;
    } else
      throw new InvalidRequestError(
        `multipart part ${JSON.stringify(part.name)} has unsupported content: a string, a Uint8Array, a Readable or an async iterable`,
      );
    pieces.push(CRLF);
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  const contentType = `multipart/form-data; boundary=${boundary}`;
  if (!streaming) return { contentType, body: Buffer.concat(pieces as Buffer[]) };
  return { contentType, body: concatenate(pieces) };
}

async function* concatenate(pieces: Array<Buffer | AsyncIterable<Uint8Array | string>>): AsyncIterable<Buffer> {
  for (const piece of pieces) {
    if (Buffer.isBuffer(piece)) {
      yield piece;
      continue;
    }
    for await (const chunk of piece)
      yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}
