// Our WebSocket client against our own server (runServer + asChannel), with and without
// permessage-deflate: echo, close codes both ways, pings from either side's idle timer, a
// stopping server's 1001, and the Ring request map the client's channel carries.
import { describe, expect, it } from 'vitest';
import '@http-kit/websocket';
import { asChannel, type Channel, type HttpServer, type Request } from '@http-kit/http1';
import type { CloseReason } from '@http-kit/core';
import type { CloseInfo, WebSocketChannel } from '@http-kit/websocket';
import { eventually, useServers, within } from '@http-kit/test-support';
import { connect, type ConnectOptions } from '../src/client/connect.js';

const servers = useServers({ stopTimeout: 1_000 });

/** What the server's channels were told. */
interface ServerSide {
  server: HttpServer;
  port: number;
  events: string[];
  channels: Channel[];
}

async function echoServer(channelOptions: Record<string, unknown> = {}): Promise<ServerSide> {
  const events: string[] = [];
  const channels: Channel[] = [];
  const { server, port } = await servers.start((req: Request) =>
    req.websocket
      ? asChannel(req, {
          ...channelOptions,
          onOpen: (ch) => channels.push(ch),
          onReceive: (ch, message) => {
            if (message === 'close please') ch.close(4003, 'as you wish');
            else ch.send(message);
          },
          onPing: (_ch, data) => events.push(`ping ${data.toString()}`),
          onClose: ((_ch: Channel, reason: CloseReason, info: CloseInfo) =>
            events.push(`close ${reason} ${info.code} ${info.reason}`)) as never,
        })
      : { status: 200, body: 'plain' },
  );
  return { server, port, events, channels };
}

interface Session {
  channel: WebSocketChannel;
  messages: Array<string | Buffer>;
  pings: number;
  closed: Promise<{ reason: CloseReason; info: CloseInfo }>;
  next(): Promise<string | Buffer>;
}

async function open(url: string, options: ConnectOptions = {}): Promise<Session> {
  const messages: Array<string | Buffer> = [];
  let closedWith: (value: { reason: CloseReason; info: CloseInfo }) => void = () => {};
  const closed = new Promise<{ reason: CloseReason; info: CloseInfo }>((resolve) => (closedWith = resolve));
  const session = { messages, pings: 0, closed } as Session;
  const result = await connect(url, {
    ...options,
    onReceive: (_ch, message) => messages.push(message),
    onPing: () => session.pings++,
    onClose: (_ch, reason, info) => closedWith({ reason, info }),
  });
  if (result.error) throw result.error;
  session.channel = result.channel;
  session.next = async () => {
    await eventually(() => messages.length > 0, 5_000, 'a message');
    return messages.shift()!;
  };
  return session;
}

describe.each([
  { name: 'without compression', deflate: false },
  { name: 'with permessage-deflate', deflate: true },
])('client against our server, $name', ({ deflate }) => {
  const serverOptions = deflate ? { perMessageDeflate: { threshold: 8 } } : {};
  const clientOptions: ConnectOptions = deflate ? { perMessageDeflate: { threshold: 8 } } : {};

  it('echoes text, bytes and a 1 MiB message', async () => {
    const { port } = await echoServer(serverOptions);
    const { channel, next } = await open(`ws://127.0.0.1:${port}/echo`, clientOptions);
    expect(channel.compresses).toBe(deflate);
    channel.send('grüß dich');
    expect(await next()).toBe('grüß dich');
    channel.send(Buffer.from([1, 2, 3]));
    expect([...((await next()) as Buffer)]).toEqual([1, 2, 3]);
    const big = Buffer.alloc(1024 * 1024, 'abcdefg');
    channel.send(big);
    expect(((await next()) as Buffer).equals(big)).toBe(true);
    channel.close();
  });

  it('closes from the client: the server is told the code and reason', async () => {
    const server = await echoServer(serverOptions);
    const session = await open(`ws://127.0.0.1:${server.port}/`, clientOptions);
    session.channel.close(4001, 'bye now');
    const { info } = await within(3_000, 'onClose', session.closed);
    // The code of the close frame received (RFC 6455 7.1.5): the server's echo of ours.
    expect(info.code).toBe(4001);
    await eventually(() => server.events.length > 0, 3_000, 'the server onClose');
    expect(server.events).toEqual(['close client-closed 4001 bye now']);
  });

  it('closes from the server: onClose says server-closed with its code and reason', async () => {
    const server = await echoServer(serverOptions);
    const session = await open(`ws://127.0.0.1:${server.port}/`, clientOptions);
    session.channel.send('close please');
    const { reason, info } = await within(3_000, 'onClose', session.closed);
    expect(reason).toBe('server-closed');
    expect(info).toEqual({ code: 4003, reason: 'as you wish' });
    await eventually(() => server.events.length > 0, 3_000, 'the server onClose');
    expect(server.events).toHaveLength(1);
    expect(server.events[0]).toMatch(/^close server-closed 4003/);
  });
});

describe('client against our server: timers and lifecycle', () => {
  it('answers the pings of a server whose pingInterval passes, and stays open', async () => {
    const server = await echoServer({ pingInterval: 50, pongTimeout: 200 });
    const session = await open(`ws://127.0.0.1:${server.port}/`, { pingInterval: 0 });
    await eventually(() => session.pings >= 2, 3_000, 'two pings from the server');
    expect(session.channel.isOpen).toBe(true);
    session.channel.close();
  });

  it('pings an idle server itself when its own pingInterval passes', async () => {
    const server = await echoServer({ pingInterval: 0 });
    const session = await open(`ws://127.0.0.1:${server.port}/`, { pingInterval: 50, pongTimeout: 100 });
    await eventually(() => server.events.filter((e) => e.startsWith('ping')).length >= 2, 3_000, 'two pings from the client');
    expect(session.channel.isOpen).toBe(true);
    session.channel.close();
  });

  it('is told 1001 going away when the server stops', async () => {
    const server = await echoServer();
    const session = await open(`ws://127.0.0.1:${server.port}/`);
    await server.server.stop({ timeout: 2_000 });
    const { reason, info } = await within(3_000, 'onClose', session.closed);
    expect(reason).toBe('server-closed');
    expect(info).toEqual({ code: 1001, reason: 'server stopping' });
    expect(server.events).toHaveLength(1);
    expect(server.events[0]).toMatch(/^close server-stopping 1001/);
  });

  it('carries the handshake as a Ring request map', async () => {
    const server = await echoServer();
    const { channel } = await open(`ws://127.0.0.1:${server.port}/room/7?user=ann`, { protocols: [], headers: { 'X-Trace': 't1' } });
    const req = channel.request;
    expect(req).toMatchObject({
      serverName: '127.0.0.1',
      serverPort: server.port,
      remoteAddr: '127.0.0.1',
      uri: '/room/7',
      queryString: 'user=ann',
      scheme: 'http',
      requestMethod: 'get',
      protocol: 'HTTP/1.1',
      body: null,
      websocket: true,
    });
    expect(req.headers).toMatchObject({
      host: `127.0.0.1:${server.port}`,
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-version': '13',
      'x-trace': 't1',
    });
    expect(req.headers['sec-websocket-key']).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    channel.close();
  });
});
