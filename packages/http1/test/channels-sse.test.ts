/**
 * Server-Sent Events over a streaming channel: the text/event-stream wire format, keep-alive
 * comments, Last-Event-ID on reconnect, and what an EventSource-style reader (the WHATWG
 * parsing rules, fed by fetch) makes of the stream.
 */
import { describe, expect, it } from 'vitest';
import { asEventStream, formatEvent, type CloseReason, type EventStream } from '@http-kit/http1';
import { eventually, RawClient, sleep, useServers } from '@http-kit/test-support';

const servers = useServers();
const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n${extra}\r\n`;

interface MessageEvent {
  type: string;
  data: string;
  lastEventId: string;
}

/**
 * The event-stream interpretation from the HTML standard (9.2.6): lines end in CRLF, LF or CR;
 * a blank line dispatches; `:` starts a comment; `data` lines join with LF; `id` sets the last
 * event id (unless it holds NUL); `retry` takes digits only.
 */
class EventStreamReader {
  readonly messages: MessageEvent[] = [];
  comments = 0;
  retry: number | null = null;
  lastEventId = '';
  private buffer = '';
  private data = '';
  private eventType = '';
  private dataSeen = false;

  feed(text: string): void {
    this.buffer += text;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (match === null) return;
      // A lone CR at the very end may be the first half of CRLF: wait for more.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) return;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) {
      this.comments++;
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data += value + '\n';
        this.dataSeen = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
    }
  }

  private dispatch(): void {
    if (!this.dataSeen) {
      this.eventType = '';
      return;
    }
    const data = this.data.endsWith('\n') ? this.data.slice(0, -1) : this.data;
    this.messages.push({ type: this.eventType || 'message', data, lastEventId: this.lastEventId });
    this.data = '';
    this.eventType = '';
    this.dataSeen = false;
  }
}

/** Reads an event stream with fetch (undici) until it ends; bounded by `timeout`. */
async function readWithFetch(url: string, headers: Record<string, string>, reader: EventStreamReader, timeout = 5_000): Promise<Response> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: AbortSignal.timeout(timeout) });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) reader.feed(decoder.decode(chunk, { stream: true }));
  reader.feed(decoder.decode());
  return response;
}

describe('formatEvent', () => {
  it('writes event, id, retry and data fields and ends with a blank line', () => {
    expect(formatEvent({ event: 'greet', id: 7, retry: 1500, data: 'hello' })).toBe('event: greet\nid: 7\nretry: 1500\ndata: hello\n\n');
    expect(formatEvent({ data: 'only data' })).toBe('data: only data\n\n');
  });

  it('splits multi-line data into several data lines (LF, CRLF and CR)', () => {
    expect(formatEvent({ data: 'a\nb\r\nc\rd' })).toBe('data: a\ndata: b\ndata: c\ndata: d\n\n');
    expect(formatEvent({ data: '' })).toBe('data: \n\n');
    expect(formatEvent({ data: 'trailing\n' })).toBe('data: trailing\ndata: \n\n');
  });

  it('sends objects as JSON', () => {
    expect(formatEvent({ data: { a: 1, b: [true, null] } })).toBe('data: {"a":1,"b":[true,null]}\n\n');
  });

  it('cannot be tricked into extra fields by newlines in event or id; retry is a whole non-negative number', () => {
    const text = formatEvent({ event: 'x\ndata: injected', id: '1\r\n\r\nevent: y', data: 'd', retry: -5.7 });
    const reader = new EventStreamReader();
    reader.feed(text);
    expect(reader.messages).toHaveLength(1);
    expect(reader.messages[0].data).toBe('d');
    expect(text).toContain('retry: 0\n');
    expect(formatEvent({ data: 'd', retry: 2500.9 })).toContain('retry: 2500\n');
  });
});

describe('event stream on the wire', () => {
  it('answers text/event-stream, chunked, with no-cache, and writes each event as sent', async () => {
    let stream: EventStream | null = null;
    const { port, server } = await servers.start((req) =>
      asEventStream(req, { keepAliveInterval: 0, headers: { 'x-extra': 'yes' }, onOpen: (s) => (stream = s) }),
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/events'));
    await client.waitFor((c) => c.text.includes('\r\n\r\n'), 1_000, 'the head');
    const head = client.text.slice(0, client.text.indexOf('\r\n\r\n')).toLowerCase();
    expect(head).toMatch(/^http\/1\.1 200 ok/);
    expect(head).toContain('content-type: text/event-stream; charset=utf-8');
    expect(head).toContain('cache-control: no-cache');
    expect(head).toContain('transfer-encoding: chunked');
    expect(head).toContain('x-extra: yes');
    expect(server.pendingCount).toBe(1);

    expect(stream!.isOpen).toBe(true);
    expect(stream!.send({ event: 'tick', id: 1, data: 'one' })).toBe(true);
    expect(stream!.send('plain')).toBe(true);
    expect(stream!.comment('note\nwith newline')).toBe(true);
    await client.waitFor((c) => c.text.includes('note with newline'), 1_000, 'events');
    stream!.close();
    const [response] = await client.waitForResponses(1);
    expect(response.text).toBe('event: tick\nid: 1\ndata: one\n\n' + 'data: plain\n\n' + ': note with newline\n\n');
    // Each event went out as its own chunk.
    expect(response.raw.toString('latin1')).toContain('\r\n1d\r\nevent: tick\nid: 1\ndata: one\n\n\r\n');
    expect(server.pendingCount).toBe(0);
    client.destroy();
  });

  it('sends keep-alive comments while the stream is idle', async () => {
    const { port } = await servers.start((req) => asEventStream(req, { keepAliveInterval: 100 }));
    const client = await RawClient.connect(port);
    await client.write(GET('/idle'));
    await client.waitFor((c) => (c.text.match(/: \n\n/g) ?? []).length >= 3, 2_000, 'three keep-alive comments');
    const reader = new EventStreamReader();
    reader.feed(client.text.slice(client.text.indexOf('\r\n\r\n') + 4).replace(/\r\n[0-9a-f]+\r\n/g, ''));
    expect(reader.messages).toHaveLength(0);
    client.destroy();
  });

  it('traffic postpones the keep-alive comment', async () => {
    let stream: EventStream | null = null;
    const { port } = await servers.start((req) => asEventStream(req, { keepAliveInterval: 300, onOpen: (s) => (stream = s) }));
    const client = await RawClient.connect(port);
    await client.write(GET('/busy'));
    await eventually(() => stream !== null, 1_000, 'open');
    for (let i = 0; i < 10; i++) {
      stream!.send({ data: `e${i}` });
      await sleep(50);
    }
    // 500 ms of events every 50 ms: no comment was needed.
    expect(client.text).not.toContain(': \n\n');
    await client.waitFor((c) => c.text.includes(': \n\n'), 2_000, 'a comment once idle');
    client.destroy();
  });

  it('exposes Last-Event-ID from a reconnecting client', async () => {
    const seen: Array<string | null> = [];
    const { port } = await servers.start((req) =>
      asEventStream(req, {
        keepAliveInterval: 0,
        onOpen: (s) => {
          seen.push(s.lastEventId);
          s.close();
        },
      }),
    );
    for (const extra of ['', 'Last-Event-ID: 42\r\n']) {
      const client = await RawClient.connect(port);
      await client.write(GET('/events', extra));
      await client.waitForResponses(1);
      client.destroy();
    }
    expect(seen).toEqual([null, '42']);
  });

  it('a stream timeout ends the stream and reports timeout', async () => {
    const reasons: CloseReason[] = [];
    const { port, server } = await servers.start((req) =>
      asEventStream(req, { timeout: 200, keepAliveInterval: 0, onOpen: (s) => s.send('hi'), onClose: (_s, r) => reasons.push(r) }),
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/events'));
    const [response] = await client.waitForResponses(1, { timeout: 3_000 });
    expect(response.text).toBe('data: hi\n\n');
    expect(reasons).toEqual(['timeout']);
    expect(server.pendingCount).toBe(0);
    client.destroy();
  });
});

describe('event stream read by an EventSource-style client', () => {
  it('delivers typed, multi-line and JSON events; a reconnect with Last-Event-ID resumes after it', async () => {
    const log = [
      { id: 1, event: 'greeting', data: 'hello' },
      { id: 2, data: 'two\nlines' },
      { id: 3, event: 'json', data: { n: 3 } },
      { id: 4, data: 'four' },
      { id: 5, event: 'bye', data: 'five' },
    ];
    const reasons: CloseReason[] = [];
    const { port, server } = await servers.start((req) =>
      asEventStream(req, {
        keepAliveInterval: 30,
        onOpen(stream) {
          const after = Number(stream.lastEventId ?? 0);
          const pending = log.filter((e) => e.id > after);
          // First connection: three events, a retry hint, then the server drops the stream.
          const batch = after === 0 ? pending.slice(0, 3) : pending;
          let i = 0;
          const next = () => {
            if (!stream.isOpen) return;
            if (i < batch.length) {
              stream.send(i === 0 && after === 0 ? { ...batch[i], retry: 10 } : batch[i]);
              i++;
              setTimeout(next, 100); // gaps long enough for keep-alive comments in between
            } else stream.close();
          };
          next();
        },
        onClose: (_s, r) => reasons.push(r),
      }),
    );
    const url = `http://127.0.0.1:${port}/events`;
    const reader = new EventStreamReader();
    const first = await readWithFetch(url, {}, reader);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(reader.messages.map((m) => [m.type, m.data, m.lastEventId])).toEqual([
      ['greeting', 'hello', '1'],
      ['message', 'two\nlines', '2'],
      ['json', '{"n":3}', '3'],
    ]);
    expect(reader.retry).toBe(10);
    expect(reader.comments).toBeGreaterThan(0);

    // Reconnect as EventSource does, after `retry` ms, with the last id it saw.
    await sleep(reader.retry!);
    await readWithFetch(url, { 'last-event-id': reader.lastEventId }, reader);
    expect(reader.messages.map((m) => m.data)).toEqual(['hello', 'two\nlines', '{"n":3}', 'four', 'five']);
    expect(reader.messages[4]).toEqual({ type: 'bye', data: 'five', lastEventId: '5' });
    expect(reasons).toEqual(['server-closed', 'server-closed']);
    await eventually(() => server.pendingCount === 0, 1_000, 'registry to empty');
  });

  it('the reader sees the same messages whatever the chunk boundaries', async () => {
    const events = [{ event: 'a', id: 'x1', data: 'line1\nline2' }, { data: { k: 'v' } }, { data: '' }];
    const text = events.map(formatEvent).join('') + ': comment\n\n';
    const whole = new EventStreamReader();
    whole.feed(text);
    for (let cut = 1; cut < text.length; cut++) {
      const split = new EventStreamReader();
      split.feed(text.slice(0, cut));
      split.feed(text.slice(cut));
      expect(split.messages).toEqual(whole.messages);
    }
    expect(whole.messages).toEqual([
      { type: 'a', data: 'line1\nline2', lastEventId: 'x1' },
      { type: 'message', data: '{"k":"v"}', lastEventId: 'x1' },
      { type: 'message', data: '', lastEventId: 'x1' },
    ]);
    expect(whole.comments).toBe(1);
  });
});
