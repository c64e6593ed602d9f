// Our WebSocket server against the `ws` client (a peer we did not write): echo, binary, close codes,
// ping/pong, HTTP fallback for refused handshakes, stop() with close 1001.
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import '@http-kit/websocket';
import { asChannel, type Channel, type Request } from '@http-kit/http1';
import type { CloseInfo } from '@http-kit/websocket';
import { eventually, useServers } from '@http-kit/test-support';

const servers = useServers({ stopTimeout: 1_000 });

function open(url: string, options?: WebSocket.ClientOptions | string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = Array.isArray(options) ? new WebSocket(url, options) : new WebSocket(url, options);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })));
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
}

const echo = (req: Request) =>
  req.websocket ? asChannel(req, { onReceive: (ch, message) => ch.send(message) }) : { status: 200, body: 'plain' };

describe('WebSocket server with the ws client', () => {
  it('echoes text as text and bytes as bytes', async () => {
    const { port } = await servers.start(echo);
    const ws = await open(`ws://127.0.0.1:${port}/echo`);
    ws.send('héllo');
    const text = await nextMessage(ws);
    expect(text.isBinary).toBe(false);
    expect(text.data.toString()).toBe('héllo');
    ws.send(Buffer.from([0, 1, 2, 255]));
    const bytes = await nextMessage(ws);
    expect(bytes.isBinary).toBe(true);
    expect([...bytes.data]).toEqual([0, 1, 2, 255]);
    const big = Buffer.alloc(1024 * 1024 + 3, 7);
    ws.send(big);
    expect((await nextMessage(ws)).data.equals(big)).toBe(true);
    ws.close(1000, 'bye');
    expect(await closed(ws)).toEqual({ code: 1000, reason: '' });
  });

  it('echoes with permessage-deflate negotiated', async () => {
    const { port } = await servers.start(echo, { perMessageDeflate: { threshold: 16 } });
    const ws = await open(`ws://127.0.0.1:${port}/echo`, { perMessageDeflate: true });
    expect(ws.extensions).toMatch(/permessage-deflate/);
    const text = 'compress me '.repeat(1000);
    for (let i = 0; i < 5; i++) {
      ws.send(text + i);
      expect((await nextMessage(ws)).data.toString()).toBe(text + i);
    }
    ws.close();
    await closed(ws);
  });

  it('tells onOpen, onReceive and onClose with the client close code and reason', async () => {
    const events: string[] = [];
    let info: CloseInfo | null = null;
    const { port } = await servers.start((req) =>
      asChannel(req, {
        onOpen: (ch) => {
          events.push('open');
          ch.send('welcome');
        },
        onReceive: (_ch, m) => events.push(`got ${String(m)}`),
        onClose: ((_ch: Channel, reason: string, closeInfo: CloseInfo) => {
          events.push(`close ${reason}`);
          info = closeInfo;
        }) as never,
      }),
    );
    // The welcome may arrive with the handshake: listen before 'open'.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const welcome = nextMessage(ws);
    await new Promise((resolve) => ws.once('open', resolve));
    expect((await welcome).data.toString()).toBe('welcome');
    ws.send('one');
    ws.close(4001, 'done here');
    await closed(ws);
    await eventually(() => events.includes('close client-closed'), 2_000, 'onClose');
    expect(events).toEqual(['open', 'got one', 'close client-closed']);
    expect(info).toEqual({ code: 4001, reason: 'done here' });
  });

  it('closes from the server with a code and reason', async () => {
    const { port } = await servers.start((req) => asChannel(req, { onOpen: (ch) => ch.close(4002, 'go away') }));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    expect(await closed(ws)).toEqual({ code: 4002, reason: 'go away' });
  });

  it('answers pings with pongs carrying the same payload, and tells onPing', async () => {
    const pings: string[] = [];
    const { port } = await servers.start((req) => asChannel(req, { onPing: (_ch, data) => pings.push(data.toString()) }));
    const ws = await open(`ws://127.0.0.1:${port}/`);
    const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve));
    ws.ping('are you there');
    expect((await pong).toString()).toBe('are you there');
    expect(pings).toEqual(['are you there']);
    ws.terminate();
  });

  it('pings an idle client and closes one that never answers', async () => {
    const reasons: string[] = [];
    const { port } = await servers.start((req) =>
      asChannel(req, { pingInterval: 100, pongTimeout: 100, onClose: (_c, r) => reasons.push(r) }),
    );
    const ws = await open(`ws://127.0.0.1:${port}/`, { autoPong: true } as WebSocket.ClientOptions);
    let pinged = 0;
    ws.on('ping', () => pinged++);
    await eventually(() => pinged >= 2, 3_000, 'two pings');
    expect(reasons).toEqual([]); // it answers: still open
    ws.terminate();

    const silent = await open(`ws://127.0.0.1:${port}/`, { autoPong: false } as WebSocket.ClientOptions);
    const gone = closed(silent);
    await gone;
    await eventually(() => reasons.includes('timeout'), 3_000, 'a timeout close');
  });

  it('refuses malformed handshakes in HTTP: 426 for another version, 403 for an origin not allowed', async () => {
    const { port } = await servers.start((req) => asChannel(req, { origins: ['http://good.example'] }));
    const badVersion = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { protocolVersion: 8 } as WebSocket.ClientOptions);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });
    expect(badVersion).toBe(426);
    const badOrigin = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { origin: 'http://evil.example' });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });
    expect(badOrigin).toBe(403);
    const good = await open(`ws://127.0.0.1:${port}/`, { origin: 'http://good.example' });
    good.terminate();
  });

  it('picks a subprotocol the server speaks', async () => {
    const { port } = await servers.start((req) => asChannel(req, { protocols: ['chat.v2', 'chat.v1'] }));
    const ws = await open(`ws://127.0.0.1:${port}/`, ['chat.v1', 'chat.v2']);
    expect(ws.protocol).toBe('chat.v2');
    ws.terminate();
  });

  it('stop() sends close 1001 to every WebSocket and waits for the handshake', async () => {
    const { port, server } = await servers.start(echo);
    const sockets = await Promise.all([1, 2, 3].map(() => open(`ws://127.0.0.1:${port}/`)));
    const codes = Promise.all(sockets.map(closed));
    await server.stop({ timeout: 2_000 });
    expect((await codes).map((c) => c.code)).toEqual([1001, 1001, 1001]);
    expect(server.connectionCount).toBe(0);
  });
});
