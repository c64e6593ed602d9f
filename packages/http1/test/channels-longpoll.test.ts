/**
 * Async channels as long polls: a request parked by asChannel / asyncResponse and answered later,
 * from a timer or a broadcast; per-channel timeouts; pipelined requests queued behind a parked
 * one; callbacks that throw.
 */
import { describe, expect, it } from 'vitest';
import { asChannel, asyncResponse, ChannelMisuseError, type Channel, type CloseReason, type Request } from '@http-kit/http1';
import { eventually, RawClient, requestOnce, sleep, useServers } from '@http-kit/test-support';

const servers = useServers();
const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

describe('long poll', () => {
  it('answers a parked request later, from a timer, and keeps the connection alive', async () => {
    const closes: CloseReason[] = [];
    let openedAt = 0;
    const { port, server } = await servers.start((req) =>
      asChannel(req, {
        onOpen(ch) {
          openedAt = Date.now();
          expect(ch.isOpen).toBe(true);
          expect(ch.isWebSocket).toBe(false);
          expect(ch.request.uri).toBe('/poll');
          setTimeout(() => ch.send({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'news' }), 150);
        },
        onClose: (_ch, reason) => closes.push(reason),
      }),
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/poll'));
    await eventually(() => server.pendingCount === 1, 1_000, 'the request to park');
    await sleep(50);
    expect(client.received.length).toBe(0); // parked: nothing sent yet
    const [response] = await client.waitForResponses(1);
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(140);
    expect(response.status).toBe(200);
    expect(response.headers['content-length']).toBe('4');
    expect(response.text).toBe('news');
    expect(closes).toEqual(['server-closed']);
    expect(server.pendingCount).toBe(0);
    // Keep-alive: the same socket serves the next request.
    await client.write(GET('/poll'));
    const both = await client.waitForResponses(2);
    expect(both[1].text).toBe('news');
    expect(client.ended).toBe(false);
    client.destroy();
  });

  it('a bare string or Buffer answers 200', async () => {
    let n = 0;
    const { port } = await servers.start((req) =>
      asChannel(req, { onOpen: (ch) => setTimeout(() => ch.send(n++ === 0 ? 'text' : Buffer.from([1, 2, 3])), 10) }),
    );
    const a = await requestOnce(port, GET('/a'));
    expect([a.status, a.text]).toEqual([200, 'text']);
    const b = await requestOnce(port, GET('/b'));
    expect(b.status).toBe(200);
    expect([...b.body]).toEqual([1, 2, 3]);
  });

  it('broadcasts one event to N parked clients: each gets exactly one response', async () => {
    const N = 100;
    const waiting = new Set<Channel>();
    const reasons: CloseReason[] = [];
    const { port, server } = await servers.start((req) =>
      asChannel(req, {
        onOpen: (ch) => waiting.add(ch),
        onClose: (ch, reason) => {
          waiting.delete(ch);
          reasons.push(reason);
        },
      }),
    );
    const clients = await Promise.all(Array.from({ length: N }, () => RawClient.connect(port)));
    await Promise.all(clients.map((c, i) => c.write(GET(`/poll?i=${i}`))));
    await eventually(() => server.pendingCount === N, 3_000, `${N} parked`);
    expect(waiting.size).toBe(N);
    let sentOk = 0;
    for (const ch of waiting) if (ch.send({ status: 200, body: `event for ${ch.request.queryString}` })) sentOk++;
    expect(sentOk).toBe(N);
    expect(waiting.size).toBe(0); // onClose ran synchronously for every one
    expect(server.pendingCount).toBe(0);
    const all = await Promise.all(clients.map((c) => c.waitForResponses(1)));
    all.forEach((responses, i) => expect(responses[0].text).toBe(`event for i=${i}`));
    await sleep(50);
    // Exactly one response each: no stray bytes after it.
    for (const c of clients) expect(c.responses().rest.length).toBe(0);
    for (const c of clients) expect(c.responses().responses).toHaveLength(1);
    expect(reasons.every((r) => r === 'server-closed')).toBe(true);
    for (const c of clients) c.destroy();
    await eventually(() => server.connectionCount === 0, 2_000, 'connections to close');
  });

  // The program's own second answer is a bug, told in words (issue 9); close() again is a no-op.
  it('send after the program completed the response throws ChannelMisuseError and sends nothing; close() returns false', async () => {
    let channel: Channel | null = null;
    const results: Array<boolean | string> = [];
    const { port } = await servers.start((req) =>
      asChannel(req, {
        onOpen(ch) {
          channel = ch;
          results.push(ch.send('first'));
          try {
            results.push(ch.send('second'));
          } catch (error) {
            results.push(error instanceof ChannelMisuseError ? `misuse: ${(error as Error).message}` : String(error));
          }
          results.push(ch.close());
        },
      }),
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/x'));
    await client.waitForResponses(1);
    await sleep(50);
    expect(results).toEqual([true, expect.stringMatching(/^misuse: Channel\.send: the channel for \/x is closed/), false]);
    expect(channel!.isOpen).toBe(false);
    expect(client.responses().responses).toHaveLength(1);
    expect(client.responses().rest.length).toBe(0);
    client.destroy();
  });

  it('close() on a parked channel drops the connection and reports server-closed', async () => {
    const reasons: CloseReason[] = [];
    const { port, server } = await servers.start((req) =>
      asChannel(req, { onOpen: (ch) => setTimeout(() => ch.close(), 20), onClose: (_c, r) => reasons.push(r) }),
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/x'));
    const result = await client.readUntilClose({ timeout: 2_000 });
    expect(result.closedByServer).toBe(true);
    expect(result.bytes.length).toBe(0);
    expect(reasons).toEqual(['server-closed']);
    await eventually(() => server.pendingCount === 0 && server.connectionCount === 0, 1_000, 'cleanup');
  });
});

describe('server timers leave a parked request alone', () => {
  it('a request parked longer than keepAliveTimeout and headersTimeout still gets its answer', async () => {
    const { port } = await servers.start((req) => asChannel(req, { onOpen: (ch) => setTimeout(() => ch.send('late but fine'), 500) }), {
      keepAliveTimeout: 100,
      headersTimeout: 100,
      bodyTimeout: 100,
    });
    const client = await RawClient.connect(port);
    await client.write(GET('/poll'));
    const [response] = await client.waitForResponses(1, { timeout: 2_000 });
    expect(response.text).toBe('late but fine');
  });

  it('Connection: close on the parked request: the late answer says so and the connection closes', async () => {
    const { port, server } = await servers.start((req) => asChannel(req, { onOpen: (ch) => setTimeout(() => ch.send('bye'), 50) }));
    const client = await RawClient.connect(port);
    await client.write('GET /poll HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const result = await client.readUntilClose({ timeout: 2_000 });
    expect(result.closedByServer).toBe(true);
    expect(result.responses).toHaveLength(1);
    expect(result.responses[0].headers['connection']).toBe('close');
    expect(result.responses[0].text).toBe('bye');
    await eventually(() => server.connectionCount === 0, 3_000, 'the connection to close');
  });
});

describe('asyncResponse', () => {
  it('answers once; a second respond() is ignored with a warning', async () => {
    let again: (() => void) | null = null;
    const { port, warnings } = await servers.start((req: Request) =>
      asyncResponse(req, (respond) => {
        setTimeout(() => {
          respond({ status: 200, body: 'async hello world' });
          again = () => respond({ status: 500, body: 'second' });
        }, 50);
      }),
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/async'));
    const [response] = await client.waitForResponses(1);
    expect([response.status, response.text]).toEqual([200, 'async hello world']);
    again!();
    await sleep(50);
    expect(client.responses().responses).toHaveLength(1);
    expect(client.responses().rest.length).toBe(0);
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toContain('/async');
    // The connection is still good for another exchange.
    await client.write(GET('/async'));
    const both = await client.waitForResponses(2);
    expect(both[1].text).toBe('async hello world');
    client.destroy();
  });

  it('respond() called synchronously inside register answers at once', async () => {
    const { port } = await servers.start((req) => asyncResponse(req, (respond) => respond('now')));
    const response = await requestOnce(port, GET('/'));
    expect(response.text).toBe('now');
  });

  it('times out with 504 when respond() is never called, and a late respond() is harmless', async () => {
    let late: ((r: string) => void) | null = null;
    const reasons: CloseReason[] = [];
    const { port, errors } = await servers.start((req) =>
      asyncResponse(
        req,
        (respond) => {
          late = respond;
        },
        { timeout: 150, onClose: (_c, r) => reasons.push(r) },
      ),
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/slow'));
    const [response] = await client.waitForResponses(1, { timeout: 2_000 });
    expect(response.status).toBe(504);
    expect(reasons).toEqual(['timeout']);
    late!('too late');
    await sleep(50);
    expect(client.responses().responses).toHaveLength(1);
    expect(errors).toEqual([]);
    client.destroy();
  });
});

describe('channel timeout', () => {
  it('a parked channel answers 504 after its timeout and reports timeout', async () => {
    const reasons: CloseReason[] = [];
    const { port, server } = await servers.start((req) => asChannel(req, { timeout: 200, onClose: (_c, r) => reasons.push(r) }));
    const client = await RawClient.connect(port);
    const started = Date.now();
    await client.write(GET('/poll'));
    const [response] = await client.waitForResponses(1, { timeout: 3_000 });
    const elapsed = Date.now() - started;
    expect(response.status).toBe(504);
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(1_500);
    expect(reasons).toEqual(['timeout']);
    expect(server.pendingCount).toBe(0);
    // Still keep-alive after a timeout answer.
    expect(client.ended).toBe(false);
    client.destroy();
  });

  it('uses a custom timeoutResponse', async () => {
    const { port } = await servers.start((req) =>
      asChannel(req, { timeout: 100, timeoutResponse: { status: 200, headers: { 'x-poll': 'empty' }, body: '[]' } }),
    );
    const response = await requestOnce(port, GET('/poll'), { timeout: 2_000 });
    expect(response.status).toBe(200);
    expect(response.headers['x-poll']).toBe('empty');
    expect(response.text).toBe('[]');
  });

  it('timeoutResponse: null closes the connection without an answer', async () => {
    const reasons: CloseReason[] = [];
    const { port, server } = await servers.start((req) =>
      asChannel(req, { timeout: 100, timeoutResponse: null, onClose: (_c, r) => reasons.push(r) }),
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/poll'));
    const result = await client.readUntilClose({ timeout: 2_000 });
    expect(result.closedByServer).toBe(true);
    expect(result.bytes.length).toBe(0);
    expect(reasons).toEqual(['timeout']);
    await eventually(() => server.pendingCount === 0 && server.connectionCount === 0, 1_000, 'cleanup');
  });

  it('an answer before the timeout cancels it', async () => {
    const reasons: CloseReason[] = [];
    const { port } = await servers.start((req) =>
      asChannel(req, { timeout: 150, onOpen: (ch) => setTimeout(() => ch.send('in time'), 20), onClose: (_c, r) => reasons.push(r) }),
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/poll'));
    await client.waitForResponses(1);
    await sleep(300);
    expect(client.responses().responses.map((r) => r.text)).toEqual(['in time']);
    expect(reasons).toEqual(['server-closed']);
    client.destroy();
  });
});

describe('pipelining behind a parked request', () => {
  it('later requests wait their turn; responses stay in order', async () => {
    const handled: string[] = [];
    let parked: Channel | null = null;
    const { port } = await servers.start((req) => {
      handled.push(req.uri);
      if (req.uri === '/park') return asChannel(req, { onOpen: (ch) => (parked = ch) });
      return `quick ${req.uri}`;
    });
    const client = await RawClient.connect(port);
    await client.write(GET('/park') + GET('/a') + GET('/b'));
    await eventually(() => parked !== null, 1_000, 'the first request to park');
    await sleep(100);
    // Nothing is answered (or even handled) ahead of the parked request.
    expect(handled).toEqual(['/park']);
    expect(client.received.length).toBe(0);
    parked!.send('parked answered');
    const responses = await client.waitForResponses(3);
    expect(responses.map((r) => r.text)).toEqual(['parked answered', 'quick /a', 'quick /b']);
    expect(handled).toEqual(['/park', '/a', '/b']);
    client.destroy();
  });

  it('two parked requests in a pipeline are answered in order even when answered out of order', async () => {
    const channels = new Map<string, Channel>();
    const { port } = await servers.start((req) => asChannel(req, { onOpen: (ch) => channels.set(req.uri, ch) }));
    const client = await RawClient.connect(port);
    await client.write(GET('/one') + GET('/two'));
    await eventually(() => channels.has('/one'), 1_000, '/one to park');
    await sleep(50);
    expect(channels.has('/two')).toBe(false); // the second is not read until the first is answered
    channels.get('/one')!.send('first');
    await eventually(() => channels.has('/two'), 1_000, '/two to park');
    channels.get('/two')!.send('second');
    const responses = await client.waitForResponses(2);
    expect(responses.map((r) => r.text)).toEqual(['first', 'second']);
    client.destroy();
  });

  it('a request pipelined behind a streaming channel waits until the stream ends', async () => {
    let stream: Channel | null = null;
    const handled: string[] = [];
    const { port } = await servers.start((req) => {
      handled.push(req.uri);
      return req.uri === '/stream' ? asChannel(req, { onOpen: (ch) => (stream = ch) }) : `got ${req.uri}`;
    });
    const client = await RawClient.connect(port);
    await client.write(GET('/stream') + GET('/after'));
    await eventually(() => stream !== null, 1_000, 'the stream to open');
    stream!.send({ status: 200 }, false);
    stream!.send('part 1,', false);
    await sleep(50);
    stream!.send('part 2', false);
    expect(handled).toEqual(['/stream']);
    stream!.close();
    const responses = await client.waitForResponses(2);
    expect(responses.map((r) => r.text)).toEqual(['part 1,part 2', 'got /after']);
    expect(responses[0].chunked).toBe(true);
    client.destroy();
  });

  it('a pipelined request sent in pieces while the first is parked still gets its turn', async () => {
    let parked: Channel | null = null;
    const { port } = await servers.start((req) =>
      req.uri === '/park' ? asChannel(req, { onOpen: (ch) => (parked = ch) }) : `got ${req.uri}`,
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/park'));
    await eventually(() => parked !== null, 1_000, 'park');
    await client.writeSplit(GET('/next'), [3, 9, 20], 10);
    await sleep(50);
    parked!.send({ status: 202, body: 'ok' });
    const responses = await client.waitForResponses(2);
    expect(responses.map((r) => [r.status, r.text])).toEqual([
      [202, 'ok'],
      [200, 'got /next'],
    ]);
    client.destroy();
  });
});

describe('callbacks that throw', () => {
  it('a throwing onOpen is logged through errorLogger and the server keeps serving', async () => {
    const { port, server, errors } = await servers.start((req) =>
      req.uri === '/boom'
        ? asChannel(req, {
            onOpen() {
              throw new Error('onOpen exploded');
            },
          })
        : 'still alive',
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/boom'));
    await eventually(() => errors.length === 1, 1_000, 'the error to be logged');
    expect(errors[0].message).toContain('onOpen');
    expect((errors[0].error as Error).message).toBe('onOpen exploded');
    const other = await requestOnce(port, GET('/ok'));
    expect(other.text).toBe('still alive');
    // Nobody can answer the request now: the server does (500) and the channel is gone.
    const [answer] = await client.waitForResponses(1);
    expect(answer.status).toBe(500);
    expect(server.pendingCount).toBe(0);
    client.destroy();
  });

  it('a throwing onClose is logged and the channel still leaves the registry', async () => {
    const { port, server, errors } = await servers.start((req) =>
      asChannel(req, {
        onOpen: (ch) => setTimeout(() => ch.send('done'), 10),
        onClose() {
          throw new Error('onClose exploded');
        },
      }),
    );
    const response = await requestOnce(port, GET('/'));
    expect(response.text).toBe('done');
    await eventually(() => errors.length === 1, 1_000, 'the error to be logged');
    expect((errors[0].error as Error).message).toBe('onClose exploded');
    expect(server.pendingCount).toBe(0);
  });

  it('an invalid response sent on a channel is logged and answered 500', async () => {
    const { port, errors } = await servers.start((req) =>
      asChannel(req, { onOpen: (ch) => setTimeout(() => ch.send({ status: 200, headers: { 'bad\nname': 'x' }, body: 'x' }), 10) }),
    );
    const response = await requestOnce(port, GET('/'));
    expect(response.status).toBe(500);
    expect(errors.length).toBe(1);
  });

  it('asChannel twice on one request throws in the handler (500), not later', async () => {
    const { port, errors } = await servers.start((req) => {
      asChannel(req);
      return asChannel(req);
    });
    const response = await requestOnce(port, GET('/'));
    expect(response.status).toBe(500);
    expect(errors.length).toBe(1);
  });

  // A handler that takes a channel and then throws: the 500 goes out and the channel is told.
  it('a handler that throws after asChannel() does not leave the channel registered', async () => {
    const reasons: CloseReason[] = [];
    const { port, server } = await servers.start((req) => {
      asChannel(req, { onClose: (_c, r) => reasons.push(r) });
      throw new Error('handler failed after taking the channel');
    });
    const response = await requestOnce(port, GET('/'));
    expect(response.status).toBe(500);
    await eventually(() => server.connectionCount === 0, 1_000, 'the connection to close');
    expect(server.pendingCount).toBe(0);
    expect(reasons).toEqual(['error']);
  });

  // Same when the handler takes a channel but returns an ordinary response.
  it('a handler that returns a plain response after asChannel() does not leave the channel registered', async () => {
    const reasons: CloseReason[] = [];
    const { port, server } = await servers.start((req) => {
      asChannel(req, { onClose: (_c, r) => reasons.push(r) });
      return 'plain answer';
    });
    const response = await requestOnce(port, GET('/'));
    expect(response.text).toBe('plain answer');
    await eventually(() => server.connectionCount === 0, 1_000, 'the connection to close');
    expect(server.pendingCount).toBe(0);
    expect(reasons.length).toBe(1);
  });
});
