// The kit's context-takeover memory cases (14.x, permessage-deflate) through the library API:
// OK against our server and ws's (no one here wrote ws), and found wanting against a server
// that lies in its permessage-deflate response (it names the window and context rules it was
// offered, then deflates with a 32 KiB window and keeps its context) and against one that fails
// connections with 1011 past 40 compression contexts; one that sheds them with 1013 instead is
// INFORMATIONAL; one without permessage-deflate leaves the cases UNIMPLEMENTED. Loopback only.
import { createServer, type Server, type Socket } from 'node:net';
import zlib from 'node:zlib';
import { encodeFrame, expectedAccept, Op, readFrame, runWebSocketServerSuite, type SuiteReport } from '@http-kit/conformance';
import { asChannel, type HttpServer, runServer } from '@http-kit/http1';
import '@http-kit/websocket';
import { takeUpgrade } from './broken-peers.js';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** The memory cases: 14.x.1 holds connections, 14.x.2-4 small windows, 14.x.5 a long sequence, 14.x.6 no context takeover. */
const MEMORY = '14.x.*';

const verdicts = (report: SuiteReport) => Object.fromEntries(report.results.map((r) => [r.id, r.verdict]));
const reasons = (report: SuiteReport) => report.results.map((r) => `${r.id} ${r.verdict}: ${r.reason}`).join('\n');

/** Writes `data` to a zlib stream and collects what one sync flush gives. */
function flushed(stream: zlib.DeflateRaw | zlib.InflateRaw, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => chunks.push(c);
    stream.on('data', onData);
    stream.once('error', reject);
    stream.write(data);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      stream.off('data', onData);
      stream.off('error', reject);
      resolve(Buffer.concat(chunks));
    });
  });
}

interface LiarOptions {
  /** Close code for messages on connections past the 40th with compression (none: no limit). */
  overLimit?: 1011 | 1013;
  /** Decline permessage-deflate altogether. */
  noDeflate?: boolean;
}

/**
 * An echo server on node:net that accepts any permessage-deflate offer by naming its
 * server_no_context_takeover and server_max_window_bits back, and then ignores both: it deflates
 * every echo with a 32 KiB window and one context per connection.
 */
async function liar(options: LiarOptions = {}): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let contexts = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    let open = false;
    let deflate = false;
    let number = 0;
    // The context is given back at the close frame (or the socket's end), once.
    const release = () => {
      if (number > 0) contexts--;
      number = 0;
    };
    const inflater = zlib.createInflateRaw();
    const deflater = zlib.createDeflateRaw();
    socket.on('close', () => {
      inflater.close();
      deflater.close();
    });
    let chain = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (!open) {
        const upgrade = takeUpgrade(pending);
        if (upgrade === null) return;
        pending = upgrade.rest;
        const offer = /^sec-websocket-extensions:\s*(.*)$/im.exec(upgrade.head)?.[1]?.split(',')[0] ?? '';
        deflate = !options.noDeflate && /^\s*permessage-deflate\b/.test(offer);
        const named = [
          ...(/server_no_context_takeover/.test(offer) ? ['server_no_context_takeover'] : []),
          ...(/server_max_window_bits=(\d+)/.exec(offer) === null
            ? []
            : [`server_max_window_bits=${/server_max_window_bits=(\d+)/.exec(offer)![1]}`]),
        ];
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${expectedAccept(upgrade.key)}\r\n${deflate ? `Sec-WebSocket-Extensions: ${['permessage-deflate', ...named].join('; ')}\r\n` : ''}\r\n`,
        );
        if (deflate) {
          number = ++contexts;
          socket.on('close', release);
        }
        open = true;
      }
      for (let read = readFrame(pending, 0); read !== null; read = readFrame(pending, 0)) {
        pending = pending.subarray(read.end);
        const { opcode, rsv, payload } = read.frame;
        chain = chain.then(async () => {
          if (socket.destroyed) return;
          if (opcode === Op.Close) {
            release();
            socket.end(encodeFrame(Op.Close, Buffer.from([0x03, 0xe8]), { mask: false }));
            return;
          }
          if (opcode !== Op.Text && opcode !== Op.Binary) return;
          if (options.overLimit !== undefined && number > 40) {
            socket.end(encodeFrame(Op.Close, Buffer.from([options.overLimit >> 8, options.overLimit & 0xff]), { mask: false }));
            return;
          }
          const data = rsv & 4 ? await flushed(inflater, Buffer.concat([payload, TRAILER])) : payload;
          const out = deflate ? (await flushed(deflater, data)).subarray(0, -4) : data;
          socket.write(encodeFrame(opcode, out, { mask: false, rsv: deflate ? 4 : 0 }));
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('context-takeover memory cases (14.x)', () => {
  let ours: HttpServer | null = null;
  let wss: WebSocketServer | null = null;
  afterAll(async () => {
    await ours?.stop({ timeout: 500 });
    await new Promise((resolve) => (wss === null ? resolve(undefined) : wss.close(resolve)));
  });

  it('are OK against our server with permessage-deflate at its defaults, 200 connections held', async () => {
    const errors: string[] = [];
    ours = await runServer((req) => asChannel(req, { onReceive: (ch, m) => ch.send(m) }), {
      ip: '127.0.0.1',
      port: 0,
      perMessageDeflate: true,
      errorLogger: (message) => errors.push(message),
    });
    const report = await runWebSocketServerSuite({ url: `ws://127.0.0.1:${ours.port}/`, cases: MEMORY });
    expect(report.results.map((r) => r.id)).toEqual(['14.x.1', '14.x.2', '14.x.3', '14.x.4', '14.x.5', '14.x.6']);
    expect(report.counts.OK, reasons(report)).toBe(6);
    expect(report.results[0].measured?.connections).toBe(200);
    expect(errors).toEqual([]);
  }, 120_000);

  it("are OK against ws's WebSocketServer (perMessageDeflate: true), which carries its context", async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true });
    await new Promise((resolve) => wss!.on('listening', resolve));
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    const report = await runWebSocketServerSuite({ url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, cases: MEMORY });
    expect(report.counts.OK, reasons(report)).toBe(6);
    expect(report.results.find((r) => r.id === '14.x.5')?.reason).toMatch(/it carries its context/);
  }, 120_000);

  it('find a server that names the window and context rules offered and ignores them FAILED, with the reason', async () => {
    const server = await liar();
    try {
      const report = await runWebSocketServerSuite({ url: server.url, cases: MEMORY });
      expect(verdicts(report), reasons(report)).toEqual({
        '14.x.1': 'OK',
        '14.x.2': 'FAILED',
        '14.x.3': 'FAILED',
        '14.x.4': 'FAILED',
        '14.x.5': 'OK',
        '14.x.6': 'FAILED',
      });
      const reason = (id: string) => report.results.find((r) => r.id === id)!.reason;
      expect(reason('14.x.2')).toMatch(/looks back further than the agreed 256-byte window .*too far back/);
      expect(reason('14.x.6')).toMatch(/refers back into an earlier message after agreeing server_no_context_takeover/);
    } finally {
      await server.close();
    }
  }, 120_000);

  it('judge 1011 past 40 compression contexts FAILED, 1013 INFORMATIONAL, no permessage-deflate UNIMPLEMENTED', async () => {
    const failing = await liar({ overLimit: 1011 });
    const shedding = await liar({ overLimit: 1013 });
    const plain = await liar({ noDeflate: true });
    try {
      const [f, s, p] = await Promise.all([
        runWebSocketServerSuite({ url: failing.url, cases: '14.x.1', heldConnections: 60 }),
        runWebSocketServerSuite({ url: shedding.url, cases: '14.x.1', heldConnections: 60 }),
        runWebSocketServerSuite({ url: plain.url, cases: MEMORY }),
      ]);
      expect(f.results[0].verdict, f.results[0].reason).toBe('FAILED');
      expect(f.results[0].reason).toMatch(/^20 of 60 connections .*closed with 1011/);
      expect(s.results[0].verdict, s.results[0].reason).toBe('INFORMATIONAL');
      expect(s.results[0].reason).toMatch(/shed 20 .*closed with 1013/);
      expect(p.counts.UNIMPLEMENTED, reasons(p)).toBe(6);
    } finally {
      await Promise.all([failing.close(), shedding.close(), plain.close()]);
    }
  }, 120_000);
});
