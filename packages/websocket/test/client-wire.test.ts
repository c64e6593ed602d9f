// What the client puts on the wire and takes from it, seen by a raw server: the handshake
// request, every frame masked with a fresh key (data, ping, close; all three length forms), the
// bytes that came with the 101 handed to the channel first (after onOpen), and a masked frame
// from the server refused with 1002.
import { createHash } from 'node:crypto';
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { CloseReason } from '@http-kit/core';
import type { CloseInfo } from '@http-kit/websocket';
import { closeAfterEach, eventually, rawServer, within } from '@http-kit/test-support';
import { connect } from '../src/client/connect.js';

const servers = closeAfterEach();
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

interface Frame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  mask: Buffer | null;
  /** Unmasked. */
  payload: Buffer;
}

/** Takes whole frames off the front of `bytes`; returns them and what is left. */
function readFrames(bytes: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let at = 0;
  for (;;) {
    if (bytes.length - at < 2) break;
    const b0 = bytes[at];
    const b1 = bytes[at + 1];
    let length = b1 & 0x7f;
    let pos = at + 2;
    if (length === 126) {
      if (bytes.length < pos + 2) break;
      length = bytes.readUInt16BE(pos);
      pos += 2;
    } else if (length === 127) {
      if (bytes.length < pos + 8) break;
      length = Number(bytes.readBigUInt64BE(pos));
      pos += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const mask = masked ? Buffer.from(bytes.subarray(pos, pos + 4)) : null;
    if (masked) pos += 4;
    if (bytes.length < pos + length) break;
    const payload = Buffer.from(bytes.subarray(pos, pos + length));
    if (mask !== null) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, masked, mask, payload });
    at = pos + length;
  }
  return { frames, rest: bytes.subarray(at) };
}

/** An unmasked server frame. */
function serverFrame(opcode: number, payload: Buffer | string): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  if (data.length >= 126) throw new Error('short frames only');
  return Buffer.concat([Buffer.from([0x80 | opcode, data.length]), data]);
}

/**
 * A raw WebSocket server: answers the handshake with a correct 101 followed by `afterSwitch`
 * (in the same write), then collects the client's frames.
 */
async function rawWebSocketServer(afterSwitch: Buffer = Buffer.alloc(0)) {
  const heads: string[] = [];
  const frames: Frame[] = [];
  const sockets: net.Socket[] = [];
  // Per connection: the bytes of an incomplete frame, once the handshake is done (null before).
  const pending = new Map<net.Socket, Buffer>();
  const server = await rawServer((socket, data, state) => {
    let bytes = pending.get(socket);
    if (bytes === undefined) {
      const end = state.buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      sockets.push(socket);
      const head = state.buffered.slice(0, end + 4);
      heads.push(head);
      const key = /\r\nsec-websocket-key: *([^\r]*)/i.exec(head)![1];
      const accept = createHash('sha1')
        .update(key + GUID)
        .digest('base64');
      socket.write(
        Buffer.concat([
          Buffer.from(
            `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
            'latin1',
          ),
          afterSwitch,
        ]),
      );
      bytes = Buffer.from(state.buffered.slice(end + 4), 'latin1');
    } else {
      bytes = Buffer.concat([bytes, data]);
    }
    const read = readFrames(bytes);
    frames.push(...read.frames);
    pending.set(socket, Buffer.from(read.rest));
  });
  servers.push(server);
  return { url: `ws://127.0.0.1:${server.port}`, heads, frames, sockets };
}

describe('the client on the wire', () => {
  it('sends a handshake request with a fresh 16-byte key each time, version 13 and the offers', async () => {
    const server = await rawWebSocketServer();
    const first = await connect(`${server.url}/chat?room=2`, { protocols: ['chat.v1', 'chat.v2'], perMessageDeflate: true });
    const second = await connect(new URL(`${server.url}/chat?room=2`));
    if (first.error) throw first.error;
    if (second.error) throw second.error;
    const [head, otherHead] = server.heads;
    expect(head).toMatch(/^GET \/chat\?room=2 HTTP\/1\.1\r\n/);
    expect(head).toMatch(/\r\nHost: 127\.0\.0\.1:\d+\r\n/i);
    expect(head).toMatch(/\r\nUpgrade: websocket\r\n/);
    expect(head).toMatch(/\r\nConnection: Upgrade\r\n/);
    expect(head).toMatch(/\r\nSec-WebSocket-Version: 13\r\n/);
    expect(head).toMatch(/\r\nSec-WebSocket-Protocol: chat\.v1, chat\.v2\r\n/);
    expect(head).toMatch(/\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n/);
    expect(head).not.toMatch(/content-length|transfer-encoding/i);
    const key = /\r\nSec-WebSocket-Key: ([^\r]*)\r\n/.exec(head)![1];
    expect(Buffer.from(key, 'base64').length).toBe(16);
    expect(otherHead).not.toContain(key);
    expect(otherHead).not.toMatch(/Sec-WebSocket-Protocol|Sec-WebSocket-Extensions/);
    first.channel.close();
    second.channel.close();
  });

  it('masks every frame it sends, each with its own key, in all three length forms', async () => {
    const server = await rawWebSocketServer();
    const result = await connect(server.url);
    if (result.error) throw result.error;
    const { channel } = result;
    const medium = Buffer.alloc(300, 0x61);
    const large = Buffer.alloc(70_000);
    for (let i = 0; i < large.length; i++) large[i] = i & 0xff;
    channel.send('hi');
    channel.send(medium);
    channel.send(large);
    channel.ping(Buffer.from('p'));
    channel.close(1000, 'done');
    await eventually(() => server.frames.length === 5, 3_000, 'five frames at the server');
    const [text, binary, big, ping, close] = server.frames;
    expect(server.frames.every((frame) => frame.masked && frame.fin)).toBe(true);
    expect([text.opcode, binary.opcode, big.opcode, ping.opcode, close.opcode]).toEqual([1, 2, 2, 9, 8]);
    expect(text.payload.toString()).toBe('hi');
    expect(binary.payload.equals(medium)).toBe(true);
    expect(big.payload.equals(large)).toBe(true);
    expect(ping.payload.toString()).toBe('p');
    expect(close.payload.readUInt16BE(0)).toBe(1000);
    expect(close.payload.subarray(2).toString()).toBe('done');
    const keys = new Set(server.frames.map((frame) => frame.mask!.toString('hex')));
    expect(keys.size).toBe(5);
  });

  it('hands the bytes that came with the 101 to the channel, after onOpen and before connect resolves', async () => {
    const server = await rawWebSocketServer(Buffer.concat([serverFrame(1, 'first'), serverFrame(2, Buffer.from([7, 7]))]));
    const events: string[] = [];
    const result = await connect(server.url, {
      onOpen: () => events.push('open'),
      onReceive: (_ch, message) => events.push(typeof message === 'string' ? `text ${message}` : `binary ${[...message].join(',')}`),
    });
    events.push('resolved');
    if (result.error) throw result.error;
    expect(events).toEqual(['open', 'text first', 'binary 7,7', 'resolved']);
    result.channel.close();
  });

  it('refuses a masked frame from the server: close 1002, onClose protocol-error', async () => {
    const masked = Buffer.from([0x81, 0x80 | 2, 1, 2, 3, 4, 'o'.charCodeAt(0) ^ 1, 'k'.charCodeAt(0) ^ 2]);
    const server = await rawWebSocketServer(masked);
    let closed: (value: { reason: CloseReason; info: CloseInfo }) => void = () => {};
    const done = new Promise<{ reason: CloseReason; info: CloseInfo }>((resolve) => (closed = resolve));
    const received: unknown[] = [];
    const result = await connect(server.url, {
      onReceive: (_ch, m) => received.push(m),
      onClose: (_ch, reason, info) => closed({ reason, info }),
    });
    expect(result.error).toBeUndefined();
    const { reason, info } = await within(3_000, 'onClose', done);
    expect(reason).toBe('protocol-error');
    expect(info.code).toBe(1002);
    expect(received).toEqual([]);
    await eventually(() => server.frames.length === 1, 3_000, 'the close frame at the server');
    expect(server.frames[0].opcode).toBe(8);
    expect(server.frames[0].masked).toBe(true);
    expect(server.frames[0].payload.readUInt16BE(0)).toBe(1002);
  });

  it('waits for the server to end TCP after the close handshake, and cuts it after closeTimeout', async () => {
    const server = await rawWebSocketServer();
    let reason: CloseReason | null = null;
    const result = await connect(server.url, { closeTimeout: 150, onClose: (_ch, r) => (reason = r) });
    if (result.error) throw result.error;
    result.channel.close(1000);
    await eventually(() => server.frames.length === 1, 3_000, 'our close frame');
    // The server answers the close but keeps TCP open: the client gives up after closeTimeout.
    const echoed = performance.now();
    server.sockets[0].write(serverFrame(8, Buffer.from([0x03, 0xe8])));
    await eventually(() => reason !== null, 3_000, 'onClose after closeTimeout');
    expect(performance.now() - echoed).toBeGreaterThanOrEqual(100);
    await eventually(() => server.sockets[0].destroyed || server.sockets[0].readableEnded, 3_000, 'the connection to end');
  });
});
