// Our WebSocket client against the `ws` package's server (a peer we did not write), with and
// without permessage-deflate: text and binary echo, a 1 MiB message, pings and pongs both ways,
// close codes and reasons both ways, subprotocol choice, the server's 101 headers.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type PerMessageDeflateOptions, type WebSocket } from 'ws';
import type { CloseReason } from '@http-kit/core';
import type { CloseInfo, WebSocketChannel } from '@http-kit/websocket';
import { eventually, within } from '@http-kit/test-support';
import { connect, type ConnectOptions } from '../src/client/connect.js';

/** A `ws` server on 127.0.0.1 that echoes, and obeys a few text commands. */
interface Peer {
  url: string;
  /** What the server saw, in order: 'ping:<payload>', 'pong:<payload>', 'close:<code>:<reason>'. */
  seen: string[];
  /** The server's side of each connection. */
  sockets: WebSocket[];
  /** The request headers of each handshake. */
  handshakes: Array<Record<string, string | string[] | undefined>>;
  close(): Promise<void>;
}

const peers: Peer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.close()));
});

async function wsPeer(perMessageDeflate: boolean | PerMessageDeflateOptions, protocols?: string[]): Promise<Peer> {
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate,
    ...(protocols === undefined ? {} : { handleProtocols: (offered: Set<string>) => protocols.find((p) => offered.has(p)) ?? false }),
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const peer: Peer = {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}`,
    seen: [],
    sockets: [],
    handshakes: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of server.clients) socket.terminate();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (socket, req) => {
    peer.sockets.push(socket);
    peer.handshakes.push(req.headers);
    socket.on('ping', (data) => peer.seen.push(`ping:${data.toString()}`));
    socket.on('pong', (data) => peer.seen.push(`pong:${data.toString()}`));
    socket.on('close', (code, reason) => peer.seen.push(`close:${code}:${reason.toString()}`));
    socket.on('message', (data: Buffer, isBinary) => {
      const text = isBinary ? '' : data.toString();
      if (text.startsWith('close-me ')) {
        const [, code, reason] = text.split(' ');
        socket.close(Number(code), reason);
      } else if (text.startsWith('ping-me ')) {
        socket.ping(text.slice(8));
      } else {
        socket.send(data, { binary: isBinary });
      }
    });
  });
  peers.push(peer);
  return peer;
}

/** A client connection and what its handlers were told. */
interface Session {
  channel: WebSocketChannel;
  messages: Array<string | Buffer>;
  pings: string[];
  pongs: string[];
  events: string[];
  closed: Promise<{ reason: CloseReason; info: CloseInfo }>;
  next(): Promise<string | Buffer>;
}

async function open(url: string, options: ConnectOptions = {}): Promise<Session> {
  const messages: Array<string | Buffer> = [];
  const events: string[] = [];
  let closedWith: (value: { reason: CloseReason; info: CloseInfo }) => void = () => {};
  const session = {
    messages,
    pings: [] as string[],
    pongs: [] as string[],
    events,
    closed: new Promise<{ reason: CloseReason; info: CloseInfo }>((resolve) => (closedWith = resolve)),
    next: async () => {
      await eventually(() => messages.length > 0, 5_000, 'a message');
      return messages.shift()!;
    },
  };
  const result = await connect(url, {
    ...options,
    onOpen: () => events.push('open'),
    onReceive: (_ch, message) => messages.push(message),
    onPing: (_ch, payload) => session.pings.push(payload.toString()),
    onPong: (_ch, payload) => session.pongs.push(payload.toString()),
    onClose: (_ch, reason, info) => {
      events.push(`close ${reason}`);
      closedWith({ reason, info });
    },
  });
  if (result.error) throw result.error;
  return { ...session, channel: result.channel };
}

describe.each([
  { name: 'without compression', deflate: false },
  { name: 'with permessage-deflate', deflate: true },
])('client against the ws server, $name', ({ deflate }) => {
  const server = (protocols?: string[]) => wsPeer(deflate ? { threshold: 0 } : false, protocols);
  const clientOptions: ConnectOptions = deflate ? { perMessageDeflate: { threshold: 16 } } : {};

  it('opens, tells onOpen before connect resolves, and agrees on compression only when both offer it', async () => {
    const peer = await server();
    const session = await open(`${peer.url}/echo?room=1`, clientOptions);
    expect(session.events).toEqual(['open']);
    expect(session.channel.isOpen).toBe(true);
    expect(session.channel.isWebSocket).toBe(true);
    expect(session.channel.compresses).toBe(deflate);
    expect(peer.handshakes[0]['sec-websocket-version']).toBe('13');
    expect(peer.handshakes[0]['sec-websocket-extensions'] !== undefined).toBe(deflate);
    session.channel.close();
    await within(3_000, 'onClose', session.closed);
  });

  it('echoes text as text and bytes as bytes', async () => {
    const peer = await server();
    const { channel, next } = await open(peer.url, clientOptions);
    expect(channel.send('héllo, wörld')).toBe(true);
    expect(await next()).toBe('héllo, wörld');
    channel.send(Buffer.from([0, 1, 2, 255]));
    const bytes = await next();
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect([...(bytes as Buffer)]).toEqual([0, 1, 2, 255]);
    channel.send(new Uint8Array([9, 8, 7]));
    expect([...((await next()) as Buffer)]).toEqual([9, 8, 7]);
    const repetitive = 'compress me '.repeat(500);
    for (let i = 0; i < 5; i++) channel.send(repetitive + i);
    for (let i = 0; i < 5; i++) expect(await next()).toBe(repetitive + i);
    channel.close();
  });

  it('sends and receives a 1 MiB message', async () => {
    const peer = await server();
    const { channel, next } = await open(peer.url, clientOptions);
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    channel.send(big);
    const back = (await next()) as Buffer;
    expect(back.length).toBe(big.length);
    expect(back.equals(big)).toBe(true);
    channel.close();
  });

  it('pings the server and gets its pong; answers the server ping and tells onPing', async () => {
    const peer = await server();
    const session = await open(peer.url, clientOptions);
    expect(session.channel.ping(Buffer.from('are you there'))).toBe(true);
    await eventually(() => session.pongs.length === 1, 3_000, 'the pong');
    expect(session.pongs).toEqual(['are you there']);
    expect(peer.seen).toContain('ping:are you there');
    session.channel.send('ping-me from the server');
    await eventually(() => session.pings.length === 1, 3_000, 'the server ping');
    expect(session.pings).toEqual(['from the server']);
    await eventually(() => peer.seen.includes('pong:from the server'), 3_000, 'our pong at the server');
    session.channel.close();
  });

  it('closes from the client with a code and reason: the server sees them, onClose says client-closed', async () => {
    const peer = await server();
    const session = await open(peer.url, clientOptions);
    expect(session.channel.close(4001, 'done here')).toBe(true);
    expect(session.channel.isOpen).toBe(false);
    // Sending after the program's own close() is a mistake, told in words (as on HTTP channels).
    expect(() => session.channel.send('too late')).toThrow(/closed by close\(\)/);
    const { reason, info } = await within(3_000, 'onClose', session.closed);
    expect(info).toEqual({ code: 4001, reason: 'done here' });
    expect(reason).toBe('client-closed');
    await eventually(() => peer.seen.includes('close:4001:done here'), 3_000, 'the close at the server');
  });

  it('closes from the server with a code and reason: onClose says server-closed with them', async () => {
    const peer = await server();
    const session = await open(peer.url, clientOptions);
    session.channel.send('close-me 4002 go-away');
    const { reason, info } = await within(3_000, 'onClose', session.closed);
    expect(reason).toBe('server-closed');
    expect(info).toEqual({ code: 4002, reason: 'go-away' });
    expect(session.events).toEqual(['open', 'close server-closed']);
    expect(session.channel.isOpen).toBe(false);
  });

  it('reports 1006 when the server drops the connection without a close frame', async () => {
    const peer = await server();
    const session = await open(peer.url, clientOptions);
    await eventually(() => peer.sockets.length === 1, 2_000, 'the server socket');
    peer.sockets[0].terminate();
    const { reason, info } = await within(3_000, 'onClose', session.closed);
    expect(reason).toBe('server-closed');
    expect(info.code).toBe(1006);
  });
});

describe('client against the ws server: handshake details', () => {
  it('offers subprotocols in order and reports the one chosen', async () => {
    const peer = await wsPeer(false, ['chat.v2', 'chat.v1']);
    const { channel } = await open(peer.url, { protocols: ['chat.v1', 'chat.v2'] });
    expect(channel.protocol).toBe('chat.v2');
    expect(peer.handshakes[0]['sec-websocket-protocol']).toBe('chat.v1, chat.v2');
    channel.close();
  });

  it('sends the caller headers and resolves with the 101 headers', async () => {
    const peer = await wsPeer(false);
    const result = await connect(peer.url, { headers: { Origin: 'http://app.example', 'X-Token': ['a', 'b'] } });
    if (result.error) throw result.error;
    expect(peer.handshakes[0].origin).toBe('http://app.example');
    expect(peer.handshakes[0]['x-token']).toBe('a, b');
    expect(result.headers.upgrade).toBe('websocket');
    expect(result.channel.request.headers.origin).toBe('http://app.example');
    result.channel.close();
  });

  it('negotiates compression with no context takeover on both sides', async () => {
    const peer = await wsPeer({ threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true });
    const { channel, next } = await open(peer.url, {
      perMessageDeflate: { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true },
    });
    expect(channel.compresses).toBe(true);
    for (let i = 0; i < 3; i++) {
      channel.send(`again and again ${i}`.repeat(50));
      expect(await next()).toBe(`again and again ${i}`.repeat(50));
    }
    channel.close();
  });
});
