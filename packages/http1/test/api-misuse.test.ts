/**
 * The public API tried as a new user would (issue 9): a handler result that is no response, a
 * status given as a string, channel and event-stream sends of things that are no answer, sends
 * after the channel ended. Each gets an error that names the value, and the request is answered
 * (500) or its connection closed: never left hanging until the client gives up.
 */
import { describe, expect, it } from 'vitest';
import {
  asChannel,
  asEventStream,
  ChannelMisuseError,
  InvalidHandlerResultError,
  InvalidStatusError,
  type Channel,
  type Handler,
} from '@http-kit/http1';
import { eventually, exchange, RawClient, sleep, useServers } from '@http-kit/test-support';

const servers = useServers();
const GET = (uri: string) => `GET ${uri} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;

describe('handler results that are no response', () => {
  const CASES: Array<[string, unknown, RegExp]> = [
    ['42', 42, /returned the number 42/],
    ['true', true, /returned the boolean true/],
    ["['a']", ['a'], /returned an array \(1 item\)/],
    ['{}', {}, /returned an empty object \{\}/],
    [
      '{ staus: 201 }',
      { staus: 201 },
      /returned an object with a key a response does not have \("staus"; a response has status, headers and body\)/,
    ],
    ['{ status: 200, bdy: "x" }', { status: 200, bdy: 'x' }, /\("bdy"/],
    ['a Map', new Map([['status', 200]]), /returned a Map \(not a response object\)/],
    ['a function', () => 'x', /returned a function/],
    ['a web Response', new Response('hi'), /returned a web Response \(fetch API\); return \{ status, headers, body \} instead/],
  ];
  for (const [name, value, message] of CASES) {
    it(`${name}: 500 and an error naming it`, async () => {
      const { port, errors } = await servers.start((() => value) as unknown as Handler);
      const result = await exchange(port, GET('/r'));
      expect(result.responses.map((r) => r.status)).toEqual([500]);
      expect(errors).toHaveLength(1);
      expect(errors[0].message).toBe('Handler failed for GET /r');
      expect(errors[0].error).toBeInstanceOf(InvalidHandlerResultError);
      expect(String((errors[0].error as Error).message)).toMatch(message);
    });
  }

  it('the same values resolved by a Promise', async () => {
    const { port, errors } = await servers.start((async () => ({ staus: 201 })) as unknown as Handler);
    const result = await exchange(port, GET('/p'));
    expect(result.responses.map((r) => r.status)).toEqual([500]);
    expect(String((errors[0].error as Error).message)).toMatch(/"staus"/);
  });

  it("{ status: '201' }: 500, and the error says the status is a string", async () => {
    const { port, errors } = await servers.start((() => ({ status: '201' })) as unknown as Handler);
    const result = await exchange(port, GET('/s'));
    expect(result.responses.map((r) => r.status)).toEqual([500]);
    expect(errors[0].error).toBeInstanceOf(InvalidStatusError);
    expect((errors[0].error as Error).message).toBe(
      'Invalid HTTP status code: the string "201"; a status is a number, an integer from 100 to 999 (201, not "201")',
    );
  });

  it('a response with only some of status, headers and body is fine', async () => {
    const { port } = await servers.start((req) =>
      req.uri === '/a' ? { status: 201 } : req.uri === '/b' ? { body: 'b' } : { headers: { 'x-h': '1' } },
    );
    const results = await Promise.all(['/a', '/b', '/c'].map((uri) => exchange(port, GET(uri))));
    expect(results.map((r) => r.responses[0].status)).toEqual([201, 200, 200]);
  });
});

describe('channel misuse', () => {
  it('send(42) on a parked channel, later, from a timer: throws ChannelMisuseError and the request is answered 500', async () => {
    const thrown: unknown[] = [];
    const reasons: string[] = [];
    const { port } = await servers.start((req) =>
      asChannel(req, {
        onOpen(ch) {
          setTimeout(() => {
            try {
              ch.send(42 as never);
            } catch (error) {
              thrown.push(error);
            }
          }, 20);
        },
        onClose: (_ch, reason) => reasons.push(reason),
      }),
    );
    const result = await exchange(port, GET('/poll'), { timeout: 2_000 });
    expect(result.timedOut).toBe(false);
    expect(result.responses.map((r) => r.status)).toEqual([500]);
    expect(thrown).toHaveLength(1);
    expect(thrown[0]).toBeInstanceOf(ChannelMisuseError);
    expect((thrown[0] as Error).message).toMatch(/Channel\.send: cannot send the number 42/);
    expect(reasons).toEqual(['error']);
  });

  it('send({}) on a parked channel: the error names the empty object; 500', async () => {
    let message = '';
    const { port } = await servers.start((req) =>
      asChannel(req, {
        onOpen(ch) {
          try {
            ch.send({} as never);
          } catch (error) {
            message = (error as Error).message;
          }
        },
      }),
    );
    const result = await exchange(port, GET('/poll'), { timeout: 2_000 });
    expect(result.responses.map((r) => r.status)).toEqual([500]);
    expect(message).toMatch(/cannot send an empty object \{\}/);
  });

  it('a stream sent a chunk that is no chunk: throws, and the connection is closed (its head is out)', async () => {
    const thrown: unknown[] = [];
    const reasons: string[] = [];
    const { port } = await servers.start((req) =>
      asChannel(req, {
        onOpen(ch) {
          ch.send({ status: 200 }, false);
          ch.send('first\n', false);
          setTimeout(() => {
            try {
              ch.send({ nope: 1 } as never, false);
            } catch (error) {
              thrown.push(error);
            }
          }, 20);
        },
        onClose: (_ch, reason) => reasons.push(reason),
      }),
    );
    const result = await exchange(port, GET('/stream'), { timeout: 2_000 });
    expect(result.timedOut).toBe(false);
    expect(result.closedByServer).toBe(true);
    expect(result.text).toContain('first\n');
    expect(result.responses).toHaveLength(0); // no last chunk: the client sees it cut short
    expect(thrown[0]).toBeInstanceOf(ChannelMisuseError);
    expect((thrown[0] as Error).message).toMatch(/"nope"/);
    expect(reasons).toEqual(['error']);
  });

  it('send after the client went away returns false (isOpen false): a race, not an error', async () => {
    let channel: Channel | null = null;
    const { port, server } = await servers.start((req) => asChannel(req, { onOpen: (ch) => (channel = ch) }));
    const client = await RawClient.connect(port);
    await client.write(GET('/poll'));
    await eventually(() => channel !== null, 1_000, 'the channel');
    client.destroy();
    await eventually(() => server.pendingCount === 0, 1_000, 'the close');
    expect(channel!.isOpen).toBe(false);
    expect(channel!.send('late')).toBe(false);
    expect(channel!.close()).toBe(false);
  });

  it('send after the program answered throws ChannelMisuseError naming the request; close() after it returns false', async () => {
    let second: unknown = null;
    let closeAgain: boolean | null = null;
    const { port } = await servers.start((req) =>
      asChannel(req, {
        onOpen(ch) {
          ch.send('once');
          try {
            ch.send('twice');
          } catch (error) {
            second = error;
          }
          closeAgain = ch.close();
        },
      }),
    );
    const result = await exchange(port, GET('/once'));
    expect(result.responses.map((r) => r.text)).toEqual(['once']);
    expect(second).toBeInstanceOf(ChannelMisuseError);
    expect((second as Error).message).toMatch(/the channel for \/once is closed/);
    expect(closeAgain).toBe(false);
  });
});

describe('event stream misuse', () => {
  const CASES: Array<[string, unknown, RegExp]> = [
    ['{}', {}, /an event needs data/],
    ['42', 42, /the number 42/],
    ['{ data: () => 1 }', { data: () => 1 }, /data cannot be sent as JSON/],
  ];
  for (const [name, value, message] of CASES) {
    it(`send(${name}): ChannelMisuseError in words (not a TypeError), and the stream ends`, async () => {
      const thrown: unknown[] = [];
      const { port } = await servers.start((req) =>
        asEventStream(req, {
          onOpen(stream) {
            stream.send({ data: 'ok' });
            setTimeout(() => {
              try {
                stream.send(value as never);
              } catch (error) {
                thrown.push(error);
              }
            }, 20);
          },
        }),
      );
      const result = await exchange(port, GET('/events'), { timeout: 2_000 });
      expect(result.timedOut).toBe(false);
      expect(result.text).toContain('data: ok\n\n');
      expect(thrown).toHaveLength(1);
      expect(thrown[0]).toBeInstanceOf(ChannelMisuseError);
      expect((thrown[0] as Error).message).toMatch(message);
      await sleep(10);
    });
  }
});
