// What a message in many tiny pieces may cost, on both sides. A message may come in at most
// maxFragments (default 65,536) frames: the frame past it fails the connection with 1009, on the
// server and on the client. Within that, and for one frame cut into one-byte TCP segments, small pieces
// are joined as they come, so an incomplete message costs about its bytes, not a Buffer view (and
// the chunk it pins) per fragment or segment.
import { createHash } from 'node:crypto';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, Op, RawWebSocket } from '@http-kit/conformance';
import type { CloseReason } from '@http-kit/core';
import { asChannel, type Request } from '@http-kit/http1';
import { connect as connectClient, type CloseInfo } from '@http-kit/websocket';
import { closeAfterEach, fullGc, rawServer, useServers, within } from '@http-kit/test-support';

const MAX_FRAGMENTS = 65_536;
const servers = closeAfterEach();
const ours = useServers();
const sockets: RawWebSocket[] = [];
afterEach(() => {
  for (const ws of sockets.splice(0)) ws.destroy();
});

/** Our server echoing every message, and a raw client connected to it. */
async function connect(options: { maxFragments?: number } = {}): Promise<RawWebSocket> {
  const { port } = await ours.start((req: Request) => asChannel(req, { onReceive: (ch, message) => ch.send(message), ...options }));
  const ws = await RawWebSocket.open(port);
  sockets.push(ws);
  return ws;
}

/** Heap and array buffers in use after full collections. */
async function memoryInUse(): Promise<number> {
  await fullGc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** A binary message's first frame and `continuations` one-byte continuation frames, none final. */
function tinyFragments(continuations: number, masked: boolean): Buffer {
  const mask = masked ? Buffer.from([1, 2, 3, 4]) : false;
  const first = encodeFrame(Op.Binary, Buffer.from([0]), { fin: false, mask });
  const one = encodeFrame(Op.Continuation, Buffer.from([0]), { fin: false, mask });
  const out = Buffer.allocUnsafe(first.length + one.length * continuations);
  first.copy(out, 0);
  for (let i = 0, at = first.length; i < continuations; i++, at += one.length) one.copy(out, at);
  return out;
}

describe('fragments of one message', () => {
  it(`closes with 1009 a message in more than ${MAX_FRAGMENTS} fragments`, async () => {
    const ws = await connect();
    await ws.send(tinyFragments(MAX_FRAGMENTS + 10, true));
    expect(await ws.expectClose(1009, 10_000)).toMatch(/fragments/);
    await ws.expectTcpClosed();
  });

  it('maxFragments set on the channel: the frame past it closes with 1009, the message at it echoes', async () => {
    const over = await connect({ maxFragments: 100 });
    await over.send(tinyFragments(100, true)); // 101 frames
    expect(await over.expectClose(1009)).toMatch(/more than 100 fragments/);
    const at = await connect({ maxFragments: 100 });
    await at.send(tinyFragments(98, true)); // 99 frames, then the final one
    await at.sendFrame(Op.Continuation, Buffer.from([0]), { fin: true });
    await at.expectMessage(Op.Binary, Buffer.alloc(100));
  });

  it('maxFragments must be a whole number of 1 or more', async () => {
    const { port, errors } = await ours.start((req: Request) => asChannel(req, { maxFragments: 0 }));
    await expect(RawWebSocket.open(port)).rejects.toThrow(/expected 101, got 500/);
    expect(errors.map((e) => String(e.error))).toEqual([
      expect.stringMatching(/asChannel: maxFragments must be a whole number of 1 or more, got 0/),
    ]);
    const result = await connectClient('ws://127.0.0.1:1/', { maxFragments: 2.5 });
    expect(result.error?.message).toMatch(/maxFragments must be a whole number of 1 or more, got 2\.5/);
  });

  it(`echoes a message of exactly ${MAX_FRAGMENTS} one-byte fragments, costing about its bytes while incomplete`, async () => {
    const ws = await connect();
    const frames = tinyFragments(MAX_FRAGMENTS - 2, true);
    const before = await memoryInUse();
    await ws.send(frames);
    // A ping answered means every frame before it was read (control frames may come between fragments).
    await ws.sendFrame(Op.Ping, 'read?');
    await ws.expectFrame(Op.Pong, 'read?', 10_000);
    const grown = (await memoryInUse()) - before;
    // A view per fragment cost ~100 bytes of heap each (6.5 MB here) and pinned every chunk read.
    expect(grown).toBeLessThan(2 * 1024 * 1024);
    await ws.sendFrame(Op.Continuation, Buffer.from([0]), { fin: true });
    await ws.expectMessage(Op.Binary, Buffer.alloc(MAX_FRAGMENTS), 10_000);
  }, 20_000);

  it('one frame written a byte per TCP segment costs about its bytes while incomplete', async () => {
    const ws = await connect();
    const payload = Buffer.alloc(12_000, 0x5a);
    const frame = encodeFrame(Op.Binary, payload);
    const before = await memoryInUse();
    // Each byte its own write, a turn apart: the server reads them apart (setNoDelay is on).
    for (let i = 0; i < frame.length - 1; i++) {
      ws.socket.write(frame.subarray(i, i + 1));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const grown = (await memoryInUse()) - before;
    // A view per segment cost ~440 bytes each (5 MB here).
    expect(grown).toBeLessThan(1024 * 1024);
    ws.socket.write(frame.subarray(frame.length - 1));
    await ws.expectMessage(Op.Binary, payload, 10_000);
  }, 30_000);
});

describe('the client, against a server that sends a message in too many fragments', () => {
  it('fails the connection with 1009', async () => {
    const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
    let fromClient = Buffer.alloc(0);
    const switched = new Set<net.Socket>();
    const server = await rawServer((socket: net.Socket, data, state) => {
      if (switched.has(socket)) {
        fromClient = Buffer.concat([fromClient, data]);
        return;
      }
      if (!state.buffered.includes('\r\n\r\n')) return;
      const key = /\r\nsec-websocket-key: *([^\r]*)/i.exec(state.buffered)![1];
      switched.add(socket);
      socket.on('error', () => {});
      const accept = createHash('sha1')
        .update(key + GUID)
        .digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      socket.write(tinyFragments(MAX_FRAGMENTS + 10, false));
    });
    servers.push(server);
    let done!: (value: { reason: CloseReason; info: CloseInfo }) => void;
    const closed = new Promise<{ reason: CloseReason; info: CloseInfo }>((resolve) => (done = resolve));
    const result = await connectClient(`ws://127.0.0.1:${server.port}/`, {
      closeTimeout: 500,
      maxFragments: MAX_FRAGMENTS,
      onClose: (_ch, reason, info) => done({ reason, info }),
    });
    if (result.error) throw result.error;
    const { reason, info } = await within(10_000, 'onClose', closed);
    expect(reason).toBe('protocol-error');
    expect(info.code).toBe(1009);
    expect(info.reason).toMatch(/fragments/);
    // The client's close frame: masked, opcode 8, code 1009.
    expect(fromClient[0]).toBe(0x88);
    const mask = fromClient.subarray(2, 6);
    expect(((fromClient[6] ^ mask[0]) << 8) | (fromClient[7] ^ mask[1])).toBe(1009);
  }, 15_000);
});
