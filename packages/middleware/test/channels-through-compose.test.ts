/**
 * Every middleware at once, composed around a handler that answers plainly, by long poll, by
 * stream, by SSE and by WebSocket: each still works through the chain, and the request logger
 * writes one line per answer when it is done (a WebSocket at the upgrade and at the close).
 */
import http from 'node:http';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compose, compress, cors, errorHandler, formParams, multipart, requestId, requestLogger, trustProxy } from '@http-kit/middleware';
import { asChannel, asEventStream, type Channel, type EventStream, type Handler } from '@http-kit/http1';
import { connect } from '@http-kit/websocket';
import { get } from '@http-kit/client';
import { eventually, sleep, useServers } from '@http-kit/test-support';

const servers = useServers();

function everything(lines: string[], format: 'combined' | 'json' = 'combined') {
  return compose(
    requestLogger({ log: (line) => lines.push(line), format }),
    requestId(),
    trustProxy(),
    cors({ origins: ['http://app.test'] }),
    errorHandler((error) => ({
      status: 500,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: String(error) }),
    })),
    compress(),
    formParams(),
    multipart(),
  );
}

const BIG = 'long poll answer '.repeat(200);

function app(state: { polls: Channel[]; streams: Channel[]; sse: EventStream[]; wsClosed: string[] }): Handler {
  return (req) => {
    if (req.websocket)
      return asChannel(req, {
        onReceive: (ch, message) => ch.send(`echo ${message} ${req.id}`),
        onClose: (_ch, reason) => state.wsClosed.push(reason),
      });
    if (req.uri === '/poll')
      return asChannel(req, { onOpen: (ch) => state.polls.push(ch), timeout: req.queryString === 'short' ? 100 : 0 });
    if (req.uri === '/stream') return asChannel(req, { onOpen: (ch) => state.streams.push(ch) });
    if (req.uri === '/sse') return asEventStream(req, { onOpen: (s) => state.sse.push(s), keepAliveInterval: 0 });
    if (req.uri === '/boom') throw new Error('boom');
    return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'plain' };
  };
}

function httpGet(port: number, path: string, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => http.get({ port, path, headers }, resolve).on('error', reject));
}

describe('a long poll, a stream, SSE and a WebSocket through compose(...) of every middleware', () => {
  it('each works, with the headers each middleware adds, and the logger sees each end', async () => {
    const lines: string[] = [];
    const state = { polls: [] as Channel[], streams: [] as Channel[], sse: [] as EventStream[], wsClosed: [] as string[] };
    const { port, errors } = await servers.start(everything(lines)(app(state)));
    const origin = { origin: 'http://app.test', 'accept-encoding': 'gzip', 'x-request-id': 'req-1' };

    // Long poll: answered later, compressed, with CORS and the id.
    const pollRes = httpGet(port, '/poll', origin);
    await eventually(() => state.polls.length === 1);
    state.polls[0].send({ status: 200, headers: { 'content-type': 'text/plain' }, body: BIG });
    const poll = await pollRes;
    expect(poll.headers).toMatchObject({
      'content-encoding': 'gzip',
      'access-control-allow-origin': 'http://app.test',
      'x-request-id': 'req-1',
    });
    let pollText = '';
    for await (const piece of poll.pipe(zlib.createGunzip())) pollText += piece;
    expect(pollText).toBe(BIG);

    // A long poll that times out is answered 504, and logged so.
    const short = await get(`http://127.0.0.1:${port}/poll?short`);
    expect(short.status).toBe(504);

    // Stream: head, then chunks, each arriving on its own through gzip.
    const streamRes = httpGet(port, '/stream', origin);
    await eventually(() => state.streams.length === 1);
    state.streams[0].send({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'one,' }, false);
    const stream = await streamRes;
    expect(stream.headers['content-encoding']).toBe('gzip');
    let streamText = '';
    stream.pipe(zlib.createGunzip()).on('data', (d: Buffer) => (streamText += d));
    await eventually(() => streamText === 'one,', 3000, 'the first chunk');
    state.streams[0].send('two');
    await eventually(() => streamText === 'one,two', 3000, 'the second chunk');
    state.streams[0].close();

    // SSE: message by message, with CORS (a cross-origin EventSource needs it).
    const sseRes = httpGet(port, '/sse', { ...origin, 'accept-encoding': 'br' });
    await eventually(() => state.sse.length === 1);
    const sse = await sseRes;
    expect(sse.headers).toMatchObject({ 'content-encoding': 'br', 'access-control-allow-origin': 'http://app.test' });
    let sseText = '';
    sse.pipe(zlib.createBrotliDecompress()).on('data', (d: Buffer) => (sseText += d));
    state.sse[0].send({ data: 'first' });
    await eventually(() => sseText.includes('data: first\n\n'), 3000, 'the first event');
    state.sse[0].send({ data: 'second' });
    await eventually(() => sseText.includes('data: second\n\n'), 3000, 'the second event');
    state.sse[0].close();

    // WebSocket: the upgrade passes every middleware untouched.
    const received: string[] = [];
    const ws = await connect(`ws://127.0.0.1:${port}/ws`, {
      headers: { 'x-request-id': 'ws-1' },
      onReceive: (_ch, m) => received.push(String(m)),
    });
    expect(ws.error).toBeUndefined();
    ws.channel!.send('hi');
    await eventually(() => received.length === 1);
    expect(received).toEqual(['echo hi ws-1']);
    ws.channel!.close(1000, 'bye');
    await eventually(() => state.wsClosed.length === 1);

    // A handler that throws gets the error page.
    const boom = await get(`http://127.0.0.1:${port}/boom`);
    expect(boom.status).toBe(500);
    expect(JSON.parse(boom.body as string)).toEqual({ error: 'Error: boom' });

    await eventually(() => lines.length === 7, 3000, 'seven log lines');
    const line = (path: string) => lines.filter((l) => l.includes(` ${path} HTTP/1.1"`));
    expect(line('/poll')[0]).toMatch(
      /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/poll HTTP\/1.1" 200 \d+ "-" "-" \d+\.\d{3}$/,
    );
    const pollBytes = Number(/" 200 (\d+) /.exec(line('/poll')[0])![1]);
    expect(pollBytes).toBeGreaterThan(20); // the compressed body, counted as it went out
    expect(pollBytes).toBeLessThan(BIG.length);
    expect(line('/poll?short')[0]).toMatch(/" 504 \d+ "-" "[^"]*" \d+\.\d{3} timeout$/);
    expect(line('/stream')[0]).toMatch(/" 200 \d+ "-" "-" \d+\.\d{3}$/);
    expect(line('/sse')[0]).toMatch(/" 200 \d+ "-" "-" \d+\.\d{3}$/);
    expect(line('/ws')).toHaveLength(2);
    expect(line('/ws')[0]).toMatch(/" 101 0 .* websocket-open$/);
    expect(line('/ws')[1]).toMatch(/" 101 0 .* websocket-close 1000 client-closed$/);
    expect(line('/boom')[0]).toMatch(/" 500 \d+ /);
    expect(errors).toEqual([]);
  });

  it("json lines: bytes as sent (compressed), the id, and 'client-closed' for a stream the client left", async () => {
    const lines: string[] = [];
    const state = { polls: [] as Channel[], streams: [] as Channel[], sse: [] as EventStream[], wsClosed: [] as string[] };
    const { port } = await servers.start(everything(lines, 'json')(app(state)));
    const plain = await get(`http://127.0.0.1:${port}/`, { headers: { 'x-request-id': 'p-1' } });
    expect(plain.body).toBe('plain');
    const req = http.get({ port, path: '/stream', headers: { 'x-request-id': 's-1' } });
    req.on('error', () => {});
    await eventually(() => state.streams.length === 1);
    state.streams[0].send({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'x' }, false);
    await sleep(50);
    req.destroy();
    await eventually(() => lines.length === 2, 3000, 'two log lines');
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({ id: 'p-1', method: 'GET', target: '/', status: 200, bytes: 5, protocol: 'HTTP/1.1' });
    expect(first.durationMs).toBeGreaterThanOrEqual(0);
    expect(second).toMatchObject({ id: 's-1', target: '/stream', status: 200, bytes: 1, outcome: 'client-closed' });
  });
});
