// maxBufferedAmount bounds what waits for a peer beyond the message the socket is taking: a
// message as large as the bound goes to a peer that reads (Autobahn 9.1.6 / 9.2.6: 16 MiB text
// and binary echoed), a message larger than the bound is refused with an error the program sees,
// and a peer that does not read is still dropped once more than the bound waits.
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import '@http-kit/websocket';
import { asChannel, ChannelMisuseError, type Channel, type Request } from '@http-kit/http1';
import type { CloseInfo } from '@http-kit/websocket';
import { eventually, useServers } from '@http-kit/test-support';
import { createConnection } from 'node:net';

const MiB = 1024 * 1024;
const servers = useServers({ stopTimeout: 1_000 });

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: 64 * MiB });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Opens a ws client that collects the first message the server sends (it may come with the 101). */
async function openForFirst(url: string): Promise<{ ws: WebSocket; first: Promise<{ data: Buffer; isBinary: boolean }> }> {
  const ws = new WebSocket(url, { maxPayload: 64 * MiB });
  const first = nextMessage(ws);
  first.catch(() => {});
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, first };
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary }));
    ws.once('close', (code: number) => reject(new Error(`closed with ${code} before the echo came`)));
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
}

const echo = (req: Request) => (req.websocket ? asChannel(req, { onReceive: (ch, message) => ch.send(message) }) : { status: 404 });

describe('maxBufferedAmount and large messages', () => {
  it.each([
    { what: 'text', data: () => 'x'.repeat(16 * MiB) },
    { what: 'binary', data: () => Buffer.alloc(16 * MiB, 0xa5) },
  ])(
    'echoes a 16 MiB $what message to ws with maxMessageSize raised (Autobahn 9.1.6 / 9.2.6)',
    async ({ data }) => {
      const { port, errors } = await servers.start(echo, { maxMessageSize: 64 * MiB });
      const ws = await open(`ws://127.0.0.1:${port}/`);
      const message = data();
      const echoed = nextMessage(ws);
      ws.send(message);
      const got = await echoed;
      expect(got.isBinary).toBe(typeof message !== 'string');
      expect(got.data.length).toBe(16 * MiB);
      expect(typeof message === 'string' ? got.data.toString() === message : got.data.equals(message)).toBe(true);
      const end = closed(ws);
      ws.close(1000);
      expect((await end).code).toBe(1000);
      expect(errors).toEqual([]);
    },
    30_000,
  );

  it('with the defaults, a message of exactly maxBufferedAmount goes out in full', async () => {
    const { port } = await servers.start((req: Request) => asChannel(req, { onOpen: (ch) => ch.send(Buffer.alloc(16 * MiB, 1)) }));
    const { ws, first } = await openForFirst(`ws://127.0.0.1:${port}/`);
    const got = await first;
    expect(got.data.length).toBe(16 * MiB);
    ws.close();
    await closed(ws);
  }, 30_000);

  it('refuses a message larger than maxBufferedAmount with an error naming both sizes; the channel stays open', async () => {
    let thrown: unknown;
    let after: boolean | undefined;
    const { port } = await servers.start(
      (req: Request) =>
        asChannel(req, {
          onOpen: (ch: Channel) => {
            try {
              ch.send(Buffer.alloc(MiB + 1));
            } catch (error) {
              thrown = error;
            }
            after = ch.send('still open');
          },
        }),
      { maxBufferedAmount: MiB },
    );
    const { ws, first } = await openForFirst(`ws://127.0.0.1:${port}/`);
    const got = await first;
    expect(got.data.toString()).toBe('still open');
    expect(after).toBe(true);
    expect(thrown).toBeInstanceOf(ChannelMisuseError);
    expect(String((thrown as Error).message)).toMatch(/1048577 bytes.*maxBufferedAmount \(1048576 bytes\)/);
    ws.close();
    await closed(ws);
  });

  it('still drops a peer that does not read once more than maxBufferedAmount waits', async () => {
    let reason: string | undefined;
    let info: CloseInfo | undefined;
    const { port } = await servers.start(
      (req: Request) =>
        asChannel(req, {
          onOpen: (ch: Channel) => {
            const chunk = Buffer.alloc(256 * 1024);
            // A program that ignores send()'s false: the peer never reads.
            const timer = setInterval(() => {
              for (let i = 0; i < 8 && ch.isOpen; i++) ch.send(chunk);
              if (!ch.isOpen) clearInterval(timer);
            }, 5);
          },
          onClose: ((_ch: Channel, why: string, closeInfo: CloseInfo) => {
            reason = why;
            info = closeInfo;
          }) as never,
        }),
      { maxBufferedAmount: 2 * MiB },
    );
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    socket.once('data', () => socket.pause()); // the 101, then never read again
    await eventually(() => reason !== undefined, 10_000, 'the channel closed');
    expect(reason).toBe('too-slow');
    expect(info?.reason).toMatch(/maxBufferedAmount/);
    socket.destroy();
  }, 15_000);
});
