/**
 * multipart: `multipart/form-data` bodies (HTML forms with files) read as they arrive, never
 * whole: fields into strings, files streamed to a temporary directory (Ring's
 * wrap-multipart-params convention) that is removed once the answer is done; or, with `streams`,
 * the parts handed to the handler one at a time. Limits are answered 413 naming the part;
 * malformed bodies 400.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir as systemTmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, InvalidArgumentError } from '@http-kit/core';
import { addResponseHook, type Handler, type HandlerResult, type Request, type ResponseHook } from '@http-kit/http1';
import type { Middleware } from './compose.js';
import { BODY_CUT_OFF, bodyCutOff, plainError } from './form-params.js';
import { boundaryOf, dispositionOf, MultipartError, MultipartParser, type PartEvents } from './multipart-parser.js';
import { checkOptions, countOption } from './options.js';
import type { MultipartFile, MultipartPart } from './request-fields.js';

export type { MultipartFile, MultipartPart } from './request-fields.js';
export { MultipartError } from './multipart-parser.js';

export interface MultipartOptions {
  /** Largest file part, bytes (default 100 MiB = 104857600). The server's `maxBody` bounds the whole body too: raise it for large uploads. */
  maxFileSize?: number;
  /** Most file parts in one body (default 10). */
  maxFiles?: number;
  /** Most plain fields in one body (default 100). */
  maxFields?: number;
  /** Largest plain field, bytes (default 64 KiB = 65536); fields are held in memory. */
  maxFieldSize?: number;
  /** Largest header block of one part, bytes (default 8 KiB = 8192): a bigger one is a header bomb, 400. */
  maxPartHeaderSize?: number;
  /** Where the temporary directories go (default `os.tmpdir()`). */
  tmpdir?: string;
  /** Hand the parts to the handler as they come (`req.multipartParts`) instead of saving files (default false). */
  streams?: boolean;
}

interface Limits {
  maxFileSize: number;
  maxFiles: number;
  maxFields: number;
  maxFieldSize: number;
  maxPartHeaderSize: number;
}

type Params = NonNullable<Request['multipartParams']>;

function isMultipart(contentType: string | null): boolean {
  return contentType !== null && /^\s*multipart\/form-data\s*(;|$)/i.test(contentType);
}

function addParam(params: Params, name: string, value: string | MultipartFile): void {
  const old = params[name];
  if (old === undefined) params[name] = value;
  else if (Array.isArray(old)) old.push(value);
  else params[name] = [old, value];
}

function describePart(name: string, filename: string | null): string {
  return filename === null ? `field ${JSON.stringify(name)}` : `file ${JSON.stringify(name)} (${JSON.stringify(filename)})`;
}

/** The temporary directory of a request, removed when its answer is done. */
const kTempDir = Symbol('multipart.tempdir');
type WithTempDir = Request & { [kTempDir]?: Promise<string> };

function removeTempDir(req: Request): void {
  const dir = (req as WithTempDir)[kTempDir];
  if (dir === undefined) return;
  (req as WithTempDir)[kTempDir] = undefined;
  // Never rejects: a directory that cannot be made has nothing to remove.
  void dir.then(
    (path) => rm(path, { recursive: true, force: true }).catch(() => {}),
    () => {},
  );
}

const cleanup: ResponseHook = { ended: (_end, req) => removeTempDir(req) };

/** Saves the parts of one body: fields in memory, files to disk, limits checked as bytes arrive. */
class FileCollector implements PartEvents {
  readonly params: Params = Object.create(null);
  private files = 0;
  private fields = 0;
  private current: {
    name: string;
    filename: string | null;
    size: number;
    text: Buffer[];
    out: WriteStream | null;
    file: MultipartFile | null;
  } | null = null;
  /** Files still being written. */
  readonly writing: Array<Promise<void>> = [];
  private readonly streams: WriteStream[] = [];
  /** A write stream over its buffer: wait for 'drain' before reading more. */
  waitFor: WriteStream | null = null;

  constructor(
    private readonly limits: Limits,
    /** The request's temporary directory, made before the body is read. */
    private readonly dir: string,
  ) {}

  partBegin(headers: Record<string, string>): void {
    const disposition = dispositionOf(headers['content-disposition']);
    if (disposition === null)
      throw new MultipartError(
        400,
        `Malformed multipart body: a part has no Content-Disposition: form-data with a name (got ${JSON.stringify(headers['content-disposition'] ?? null)})`,
      );
    const { name, filename } = disposition;
    if (filename === null) {
      if (++this.fields > this.limits.maxFields)
        throw new MultipartError(413, `Too many fields: field ${JSON.stringify(name)} is over maxFields (${this.limits.maxFields})`);
      this.current = { name, filename, size: 0, text: [], out: null, file: null };
      return;
    }
    if (++this.files > this.limits.maxFiles)
      throw new MultipartError(413, `Too many files: ${describePart(name, filename)} is over maxFiles (${this.limits.maxFiles})`);
    const file: MultipartFile = {
      filename,
      contentType: headers['content-type'] ?? 'application/octet-stream',
      size: 0,
      tempfile: join(this.dir, `upload-${this.files}`),
    };
    // Opened in the background; writes wait in the stream meanwhile.
    const out = createWriteStream(file.tempfile, { flags: 'wx', highWaterMark: 256 * 1024 });
    this.streams.push(out);
    const written = new Promise<void>((resolve, reject) => {
      out.on('error', reject);
      out.on('close', resolve);
    });
    written.catch(() => {}); // awaited at the end of the body; an abort before then has its own error
    this.writing.push(written);
    this.current = { name, filename, size: 0, text: [], out, file };
  }

  partData(bytes: Buffer): void {
    const part = this.current!;
    part.size += bytes.length;
    if (part.out === null) {
      if (part.size > this.limits.maxFieldSize)
        throw new MultipartError(413, `Field ${JSON.stringify(part.name)} is over maxFieldSize (${this.limits.maxFieldSize} bytes)`);
      part.text.push(Buffer.from(bytes));
      return;
    }
    if (part.size > this.limits.maxFileSize)
      throw new MultipartError(
        413,
        `File ${JSON.stringify(part.name)} (${JSON.stringify(part.filename)}) is over maxFileSize (${this.limits.maxFileSize} bytes)`,
      );
    if (!part.out.write(bytes)) this.waitFor = part.out;
  }

  partEnd(): void {
    const part = this.current!;
    this.current = null;
    if (part.out === null) {
      addParam(this.params, part.name, Buffer.concat(part.text).toString('utf8'));
      return;
    }
    part.file!.size = part.size;
    part.out.end();
    addParam(this.params, part.name, part.file!);
  }

  /** Stops every write (a limit or a bad body): the directory goes with the answer. */
  abort(): void {
    for (const stream of this.streams) stream.destroy();
  }
}

/** Resolves once `stream` drains or closes, leaving no listener behind. */
function drained(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

async function readToFiles(req: Request, limits: Limits, tmpdir: string, boundary: string): Promise<Params> {
  const made = mkdtemp(join(tmpdir, 'http-kit-upload-'));
  (req as WithTempDir)[kTempDir] = made;
  const collector = new FileCollector(limits, await made);
  const parser = new MultipartParser(boundary, limits.maxPartHeaderSize, collector);
  try {
    for await (const chunk of req.body!) {
      parser.push(chunk as Buffer);
      const full = collector.waitFor;
      if (full !== null) {
        collector.waitFor = null;
        // The disk is slower than the network: read no more until it catches up.
        await drained(full);
      }
    }
    parser.finish();
    await Promise.all(collector.writing);
    return collector.params;
  } catch (error) {
    collector.abort();
    throw error;
  }
}

/**
 * The parts of one body, one at a time, each body a stream the handler reads before asking for
 * the next. The body is read by a pump of its own (started at the first request for a part), so
 * a part's bytes keep coming while the handler reads it; the pump waits whenever the part's
 * stream is full. A part the handler skips is drained and dropped.
 */
function readParts(req: Request, limits: Limits, boundary: string): AsyncIterable<MultipartPart> {
  const ready: MultipartPart[] = [];
  let current: { part: MultipartPart; body: PassThrough; size: number } | null = null;
  let fields = 0;
  let files = 0;
  let full: PassThrough | null = null;
  let given: PassThrough | null = null;
  let finished = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  let started = false;
  const signal = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const events: PartEvents = {
    partBegin(headers) {
      const disposition = dispositionOf(headers['content-disposition']);
      if (disposition === null)
        throw new MultipartError(400, 'Malformed multipart body: a part has no Content-Disposition: form-data with a name');
      const { name, filename } = disposition;
      if (filename === null && ++fields > limits.maxFields)
        throw new MultipartError(413, `Too many fields: field ${JSON.stringify(name)} is over maxFields (${limits.maxFields})`);
      if (filename !== null && ++files > limits.maxFiles)
        throw new MultipartError(413, `Too many files: ${describePart(name, filename)} is over maxFiles (${limits.maxFiles})`);
      const body = new PassThrough({ highWaterMark: 64 * 1024 });
      const contentType = headers['content-type'] ?? (filename === null ? 'text/plain' : 'application/octet-stream');
      current = { part: { name, filename, contentType, headers, body }, body, size: 0 };
      ready.push(current.part);
    },
    partData(bytes) {
      const part = current!;
      part.size += bytes.length;
      const isField = part.part.filename === null;
      const max = isField ? limits.maxFieldSize : limits.maxFileSize;
      if (part.size > max)
        throw new MultipartError(
          413,
          `${isField ? 'Field' : 'File'} ${describePart(part.part.name, part.part.filename).replace(/^(field|file) /, '')} is over ${isField ? 'maxFieldSize' : 'maxFileSize'} (${max} bytes)`,
        );
      if (!part.body.write(bytes)) full = part.body;
    },
    partEnd() {
      current!.body.end();
      current = null;
    },
  };
  const parser = new MultipartParser(boundary, limits.maxPartHeaderSize, events);
  const pump = async (): Promise<void> => {
    try {
      for await (const chunk of req.body!) {
        parser.push(chunk as Buffer);
        if (ready.length > 0) signal();
        const stream = full as PassThrough | null;
        if (stream !== null) {
          full = null;
          await drained(stream);
        }
      }
      parser.finish();
    } catch (error) {
      failure = error;
      (current as { body: PassThrough } | null)?.body.destroy(error as Error);
    }
    finished = true;
    signal();
  };
  return {
    [Symbol.asyncIterator]: () => ({
      async next(): Promise<IteratorResult<MultipartPart>> {
        if (!started) {
          started = true;
          void pump();
        }
        // Asking for the next part lets go of the last one: what is left of it is dropped.
        if (given !== null && !given.readableEnded) given.resume();
        while (ready.length === 0 && !finished) await new Promise<void>((resolve) => (wake = resolve));
        if (ready.length > 0) {
          const part = ready.shift()!;
          given = part.body as PassThrough;
          return { value: part, done: false };
        }
        if (failure !== null) throw failure;
        return { value: undefined, done: true };
      },
      async return(): Promise<IteratorResult<MultipartPart>> {
        if (given !== null && !given.readableEnded) given.resume();
        return { value: undefined, done: true };
      },
    }),
  };
}

/**
 * Reads `multipart/form-data` bodies into `req.multipartParams` (fields as strings, files as
 * `{ filename, contentType, size, tempfile }`, repeated names as arrays) before the handler runs;
 * the temporary files are removed once the answer is done. With `streams: true` the handler
 * gets `req.multipartParts` instead, to read part by part. Other requests pass with an empty
 * `multipartParams`.
 *
 * @example
 * const app = compose(multipart({ maxFileSize: 10 * 1024 * 1024 }))(async (req) => {
 *   const { avatar, name } = req.multipartParams;
 *   await copyFile(avatar.tempfile, `./avatars/${req.id}.png`);
 *   return `thanks ${name}`;
 * });
 * // curl -F name=ada -F avatar=@me.png http://127.0.0.1:8080/
 */
export function multipart(options?: MultipartOptions): Middleware {
  const opts = checkOptions('multipart', options, [
    'maxFileSize',
    'maxFiles',
    'maxFields',
    'maxFieldSize',
    'maxPartHeaderSize',
    'tmpdir',
    'streams',
  ]);
  const limits: Limits = {
    maxFileSize: countOption('multipart', 'maxFileSize', opts.maxFileSize, 100 * 1024 * 1024),
    maxFiles: countOption('multipart', 'maxFiles', opts.maxFiles, 10),
    maxFields: countOption('multipart', 'maxFields', opts.maxFields, 100),
    maxFieldSize: countOption('multipart', 'maxFieldSize', opts.maxFieldSize, 64 * 1024),
    maxPartHeaderSize: countOption('multipart', 'maxPartHeaderSize', opts.maxPartHeaderSize, 8 * 1024),
  };
  const tmpdir = opts.tmpdir ?? systemTmpdir();
  if (typeof tmpdir !== 'string' || tmpdir === '')
    throw new InvalidArgumentError(`multipart: tmpdir must be a directory path, got ${describe(tmpdir)}`);
  if (opts.streams !== undefined && typeof opts.streams !== 'boolean')
    throw new InvalidArgumentError(`multipart: streams must be true or false, got ${describe(opts.streams)}`);
  const streams = opts.streams === true;

  return (handler: Handler): Handler =>
    async (req): Promise<HandlerResult> => {
      if (!isMultipart(req.contentType) || req.body === null) {
        req.multipartParams = Object.create(null) as Params;
        return handler(req);
      }
      const boundary = boundaryOf(req.contentType!);
      if (typeof boundary !== 'string') return plainError(400, `Malformed multipart body: ${boundary.problem}`);
      if (streams) {
        req.multipartParams = Object.create(null) as Params;
        req.multipartParts = readParts(req, limits, boundary);
        try {
          return await handler(req);
        } catch (error) {
          if (error instanceof MultipartError) return plainError(error.status, error.message);
          if (bodyCutOff(error)) return BODY_CUT_OFF();
          throw error;
        }
      }
      addResponseHook(req, cleanup);
      try {
        req.multipartParams = await readToFiles(req, limits, tmpdir, boundary);
      } catch (error) {
        if (error instanceof MultipartError) return plainError(error.status, error.message);
        if (bodyCutOff(error)) return BODY_CUT_OFF();
        throw error;
      }
      return handler(req);
    };
}
