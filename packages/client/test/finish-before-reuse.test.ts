/**
 * A connection that finished a response is handed to the next waiting request only once the
 * finished exchange is done (its callback has run), and a request made from that callback still
 * reuses the connection when nobody waits.
 */
import { describe, expect, it } from 'vitest';
import { createClient, type HttpResponse } from '@http-kit/client';
import { closeAfterEach, rawServer, type TestServer } from '@http-kit/test-support';

/**
 * A raw keep-alive server answering `200 <path>` to each request head (a chunked request body,
 * if any, is read and dropped); `lines` are the request lines, in the order they arrived.
 */
async function echoServer(): Promise<TestServer & { lines: string[] }> {
  const lines: string[] = [];
  const server = await rawServer((socket, _data, state) => {
    for (;;) {
      const end = state.buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = state.buffered.slice(0, end);
      let rest = state.buffered.slice(end + 4);
      if (/transfer-encoding: chunked/i.test(head)) {
        const last = rest.indexOf('0\r\n\r\n');
        if (last === -1) return;
        rest = rest.slice(last + 5);
      }
      state.buffered = rest;
      const line = head.slice(0, head.indexOf('\r\n'));
      lines.push(line);
      const path = line.split(' ')[1];
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${path.length}\r\n\r\n${path}`);
    }
  });
  return Object.assign(server, { lines });
}

const servers = closeAfterEach();

describe('finishing an exchange before its connection is reused', () => {
  it('runs the callback of a request before the next waiting request starts on the same connection', async () => {
    const server = await echoServer();
    servers.push(server);
    const client = createClient({ maxConnectionsPerHost: 1 });
    // The waiting request's body is an iterable: the connection starts reading it the moment it
    // sends that request, which tells when the request began.
    let nextStarted = false;
    const body: AsyncIterable<string> = {
      [Symbol.asyncIterator]() {
        nextStarted = true;
        let sent = false;
        return {
          next: async () => (sent ? { done: true, value: undefined } : ((sent = true), { done: false, value: 'x' })),
        };
      },
    };
    let startedBeforeCallback: boolean | null = null;
    const first = client.get(server.url + '/first', undefined, (res) => {
      startedBeforeCallback = nextStarted;
      return res.status;
    });
    const second = client.post(server.url + '/second', { body });
    expect(await first).toBe(200);
    expect(startedBeforeCallback).toBe(false);
    expect(((await second) as HttpResponse).body).toEqual(Buffer.from('/second'));
    expect(server.connections).toBe(1);
    expect(server.lines).toEqual(['GET /first HTTP/1.1', 'POST /second HTTP/1.1']);
    client.close();
  });

  it('lets a request made in the callback reuse the connection when nobody waits', async () => {
    const server = await echoServer();
    servers.push(server);
    const client = createClient();
    const chained = await client.get(server.url + '/a', undefined, () => client.get(server.url + '/b'));
    expect((chained as HttpResponse).body).toEqual(Buffer.from('/b'));
    expect(server.connections).toBe(1);
    client.close();
  });

  it('keeps first-come-first-served: a request made in the callback queues behind the waiting ones', async () => {
    const server = await echoServer();
    servers.push(server);
    const client = createClient({ maxConnectionsPerHost: 1 });
    let fromCallback: Promise<unknown> | null = null;
    const first = client.get(server.url + '/first', undefined, () => {
      fromCallback = client.get(server.url + '/from-callback');
    });
    const waiting = client.get(server.url + '/waiting');
    await first;
    await Promise.all([waiting, fromCallback]);
    expect(server.lines).toEqual(['GET /first HTTP/1.1', 'GET /waiting HTTP/1.1', 'GET /from-callback HTTP/1.1']);
    expect(server.connections).toBe(1);
    client.close();
  });
});
