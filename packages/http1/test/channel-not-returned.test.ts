/**
 * A handler that calls asChannel (or asyncResponse, asEventStream) but does not return what it
 * returned: the channel would never open and the client got a 404 with nothing logged. Now
 * errorLogger says what to do, the client gets 500 (or the handler's own answer), the channel
 * is closed (onClose runs, nothing stays parked) and the connection serves the next request.
 */
import { describe, expect, it } from 'vitest';
import { asChannel, asyncResponse, type Handler } from '@http-kit/http1';
import { exchange, useServers } from '@http-kit/test-support';

const servers = useServers();
const GET = (path: string, close = true) => `GET ${path} HTTP/1.1\r\nHost: x\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;

describe('a channel the handler did not return', () => {
  it('asChannel(...) then nothing returned: 500, one error naming the fix, the channel closed', async () => {
    const closes: string[] = [];
    let opened = false;
    const handler: Handler = (req) => {
      asChannel(req, {
        onOpen: () => {
          opened = true;
        },
        onClose: (_ch, reason) => closes.push(reason),
      });
      return undefined;
    };
    const { port, errors, server } = await servers.start(handler);
    const response = (await exchange(port, GET('/poll'))).responses[0];
    expect(response.status).toBe(500);
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toBe(
      'The handler for GET /poll opened a channel (asChannel, asyncResponse or asEventStream) but returned undefined, not what that call returned: the channel was closed and the request answered 500. Return it: `return asChannel(req, { ... })`',
    );
    expect(opened).toBe(false);
    expect(closes).toEqual(['error']);
    expect(server.pendingCount).toBe(0);
  });

  it('an async handler that forgets the return (resolves undefined), then the next request on the connection', async () => {
    const handler: Handler = async (req) => {
      if (req.uri === '/next') return 'next';
      await Promise.resolve();
      asyncResponse(req, (respond) => respond('late'));
    };
    const { port, errors, server } = await servers.start(handler);
    const result = await exchange(port, GET('/poll', false) + GET('/next'));
    expect(result.responses.map((r) => r.status)).toEqual([500, 200]);
    expect(result.responses[1].body.toString()).toBe('next');
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('GET /poll opened a channel')]);
    expect(server.pendingCount).toBe(0);
  });

  it('returning a response of its own after asChannel: that response is sent, the error still logged', async () => {
    const { port, errors } = await servers.start((req) => {
      asChannel(req, {});
      return { status: 202, body: 'accepted' };
    });
    const response = (await exchange(port, GET('/x'))).responses[0];
    expect(response.status).toBe(202);
    expect(errors[0].message).toContain('but returned a response of its own, not what that call returned: that response was sent');
  });
});
