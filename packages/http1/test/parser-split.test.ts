/**
 * The parser must give the same messages however a request is cut into reads: whole, split in
 * two at every byte boundary, and one byte at a time. Malformed input must stop at the same
 * llhttp error, at the same byte, whole or byte by byte.
 */
import { describe, expect, it } from 'vitest';
import { HttpParser, ParseResult, TYPE_REQUEST, type ParserEvents } from '@http-kit/http1/codec';
import { MALFORMED, VALID, type ExpectedMessage } from './parser-corpus.js';

interface Message {
  method: string;
  url: string;
  version: string;
  headers: string[];
  /** `rawHeaders` as it stands when the message completes: trailers must not change it. */
  headersAtComplete: string[] | null;
  trailers: string[];
  keepAlive: boolean;
  upgrade: boolean;
  body: string;
}

interface Outcome {
  result: 'ok' | 'upgrade' | 'error' | 'paused';
  messages: Message[];
  /** Bytes after an upgrade head, gathered from where the parser stopped and any later chunks. */
  tail: string;
  errorName: string;
  /** Offset of the error in the whole input. */
  errorAt: number;
}

/** Records every event as plain data, so two parses can be compared with `toEqual`. */
class Recorder implements ParserEvents {
  messages: Message[] = [];
  private current: Message | null = null;

  onMessageBegin(): number {
    this.current = null;
    return 0;
  }

  onHeadersComplete(p: HttpParser, upgrade: boolean, keepAlive: boolean): number {
    this.current = {
      method: p.methodName,
      url: p.url,
      version: `${p.versionMajor}.${p.versionMinor}`,
      headers: p.rawHeaders.slice(),
      headersAtComplete: null,
      trailers: [],
      keepAlive,
      upgrade,
      body: '',
    };
    this.messages.push(this.current);
    return 0;
  }

  onBody(_p: HttpParser, chunk: Buffer): number {
    this.current!.body += chunk.latin1Slice();
    return 0;
  }

  onMessageComplete(p: HttpParser): number {
    this.current!.headersAtComplete = p.rawHeaders.slice();
    this.current!.trailers = p.rawTrailers.slice();
    return 0;
  }
}

function parse(chunks: Buffer[]): Outcome {
  const recorder = new Recorder();
  const parser = HttpParser.acquire(TYPE_REQUEST, recorder);
  const outcome: Outcome = { result: 'ok', messages: recorder.messages, tail: '', errorName: '', errorAt: -1 };
  let consumed = 0;
  try {
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i];
      const result = parser.execute(chunk);
      if (result === ParseResult.Ok) {
        consumed += chunk.length;
        continue;
      }
      if (result === ParseResult.Upgrade) {
        outcome.result = 'upgrade';
        outcome.tail = Buffer.concat([chunk.subarray(parser.offset), ...chunks.slice(i + 1)]).latin1Slice();
      } else if (result === ParseResult.Error) {
        outcome.result = 'error';
        outcome.errorName = parser.errorName;
        outcome.errorAt = consumed + parser.offset;
      } else {
        outcome.result = 'paused';
      }
      break;
    }
  } finally {
    parser.release();
  }
  return outcome;
}

function splitInTwo(bytes: Buffer, at: number): Buffer[] {
  // Copies, so no chunk shares memory with another (as with real socket reads).
  return [Buffer.from(bytes.subarray(0, at)), Buffer.from(bytes.subarray(at))];
}

function byteByByte(bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) chunks.push(Buffer.from(bytes.subarray(i, i + 1)));
  return chunks;
}

function checkExpected(messages: Message[], expected: ExpectedMessage[]): void {
  expect(messages).toHaveLength(expected.length);
  expected.forEach((want, i) => {
    const got = messages[i];
    const picked: Partial<Message> = {};
    for (const key of Object.keys(want) as (keyof ExpectedMessage)[]) (picked as Record<string, unknown>)[key] = got[key];
    expect(picked, `message ${i}`).toEqual(want);
    expect(got.headersAtComplete, `message ${i}: completed, header list unchanged since the head`).toEqual(got.headers);
  });
}

describe('parser: valid requests, however they are split', () => {
  for (const c of VALID) {
    it(c.name, () => {
      const bytes = Buffer.from(c.bytes, 'latin1');
      const whole = parse([bytes]);
      expect(whole.result).toBe(c.tail === undefined ? 'ok' : 'upgrade');
      checkExpected(whole.messages, c.messages);
      expect(whole.tail).toBe(c.tail ?? '');

      for (let at = 0; at <= bytes.length; at++) {
        const split = parse(splitInTwo(bytes, at));
        if (!isEqual(split, whole)) expect(split, `split at byte ${at} of ${bytes.length}`).toEqual(whole);
      }
      expect(parse(byteByByte(bytes)), 'byte by byte').toEqual(whole);
    });
  }
});

describe('parser: malformed requests', () => {
  for (const c of MALFORMED) {
    it(`${c.name}: ${c.error}`, () => {
      const bytes = Buffer.from(c.bytes, 'latin1');
      const whole = parse([bytes]);
      expect(whole.result).toBe('error');
      expect(whole.errorName).toBe(c.error);
      expect(whole.errorAt).toBeGreaterThanOrEqual(0);
      expect(whole.errorAt).toBeLessThan(bytes.length);

      const single = parse(byteByByte(bytes));
      expect(single, 'byte by byte').toEqual(whole);
    });
  }
});

describe('parser: reuse', () => {
  it('a released parser parses the next request cleanly after an error', () => {
    const bad = parse([Buffer.from('GET / HTTP/1.1\r\nX: a\0b\r\n\r\n', 'latin1')]);
    expect(bad.errorName).toBe('HPE_INVALID_HEADER_TOKEN');
    const good = parse([Buffer.from('GET /after HTTP/1.1\r\nHost: a\r\n\r\n', 'latin1')]);
    expect(good.result).toBe('ok');
    expect(good.messages.map((m) => [m.url, m.headers])).toEqual([['/after', ['Host', 'a']]]);
  });

  it('a released parser does not carry a half-read request into the next one', () => {
    const half = parse([Buffer.from('GET /half HTTP/1.1\r\nX-Partial: va', 'latin1')]);
    expect(half.messages).toHaveLength(0);
    const next = parse([Buffer.from('GET /next HTTP/1.1\r\nHost: b\r\n\r\n', 'latin1')]);
    expect(next.messages.map((m) => [m.url, m.headers])).toEqual([['/next', ['Host', 'b']]]);
  });
});

describe('parser: trailers', () => {
  const bytes = Buffer.from('POST /t HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: v  \r\n\r\n', 'latin1');

  // A handler may keep the header list it got at headers-complete: trailers (read later) go to
  // `rawTrailers`, trimmed like header values, and leave that list as it was.
  it('go to rawTrailers and leave the header list handed over at headers-complete alone', () => {
    let atHeaders: string[] = [];
    let trailers: string[] = [];
    const events: ParserEvents = {
      onMessageBegin: () => 0,
      onHeadersComplete: (p) => {
        atHeaders = p.rawHeaders;
        return 0;
      },
      onBody: () => 0,
      onMessageComplete: (p) => {
        trailers = p.rawTrailers.slice();
        return 0;
      },
    };
    const parser = HttpParser.acquire(TYPE_REQUEST, events);
    try {
      expect(parser.execute(bytes)).toBe(ParseResult.Ok);
    } finally {
      parser.release();
    }
    expect(atHeaders).toEqual(['Transfer-Encoding', 'chunked']);
    expect(trailers).toEqual(['X-Trailer', 'v']);
  });
});

/** Cheap deep equality, so the per-split `expect` (slow to build) only runs on a mismatch. */
function isEqual(a: Outcome, b: Outcome): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
