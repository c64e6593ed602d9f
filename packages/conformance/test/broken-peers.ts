/**
 * Peers that are wrong on purpose, for checking that the kit finds them wanting. The WebSocket
 * one does the handshake and echoes every data frame as it came, but checks nothing (no UTF-8,
 * no RSV bits, no opcodes, unmasked frames welcome) and never answers a close frame: the
 * connection stays open until the client drops it. The HTTP one answers every request 200 with
 * its body, framed by the first Content-Length it finds: no Host rules (duplicates welcome), no
 * Transfer-Encoding, no header grammar.
 *
 * @example
 * const broken = await brokenWebSocketServer();
 * await runWebSocketServerSuite({ url: broken.url, cases: '6.3.1' }); // FAILED
 * await broken.close();
 */
import { createServer, type Server, type Socket } from 'node:net';
import { expectedAccept, readFrame } from '@http-kit/conformance';

export interface BrokenServer {
  readonly url: string;
  close(): Promise<void>;
}

function header(opcode: number, fin: boolean, length: number): Buffer {
  const b0 = (fin ? 0x80 : 0) | opcode;
  if (length < 126) return Buffer.from([b0, length]);
  if (length < 0x10000) return Buffer.from([b0, 126, length >> 8, length & 0xff]);
  const h = Buffer.alloc(10);
  h[0] = b0;
  h[1] = 127;
  h.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
  h.writeUInt32BE(length >>> 0, 6);
  return h;
}

/** An upgrade request's head from the front of `pending` (its key, and the bytes after it), or null while incomplete. */
export function takeUpgrade(pending: Buffer<ArrayBuffer>): { head: string; key: string; rest: Buffer<ArrayBuffer> } | null {
  const end = pending.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const head = pending.subarray(0, end).toString('latin1');
  const key = /^sec-websocket-key:\s*(.*)$/im.exec(head)?.[1]?.trim() ?? '';
  return { head, key, rest: pending.subarray(end + 4) };
}

function serve(socket: Socket): void {
  let pending = Buffer.alloc(0);
  let open = false;
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    if (!open) {
      const upgrade = takeUpgrade(pending);
      if (upgrade === null) return;
      pending = upgrade.rest;
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${expectedAccept(upgrade.key)}\r\n\r\n`,
      );
      open = true;
    }
    for (let read = readFrame(pending, 0); read !== null; read = readFrame(pending, 0)) {
      pending = pending.subarray(read.end);
      const { opcode, fin, payload } = read.frame;
      if (opcode === 9) socket.write(Buffer.concat([header(10, true, payload.length), payload]));
      else if (opcode === 0 || opcode === 1 || opcode === 2) socket.write(Buffer.concat([header(opcode, fin, payload.length), payload]));
      // Close (8), pongs and anything else: ignored.
    }
  });
}

/** The broken WebSocket echo server on 127.0.0.1, a free port. */
export async function brokenWebSocketServer(): Promise<BrokenServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Serves HTTP/1.1 loosely: every head answered 200 with the body its first Content-Length frames. */
function serveHttp(socket: Socket): void {
  let pending = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const end = pending.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = pending.subarray(0, end).toString('latin1');
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (pending.length < end + 4 + length) return;
      const body = pending.subarray(end + 4, end + 4 + length);
      pending = pending.subarray(end + 4 + length);
      socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
    }
  });
}

/** The broken HTTP server on 127.0.0.1, a free port. */
export async function brokenHttpServer(): Promise<BrokenServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveHttp(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
