// Bytes a connection holds for a protocol that is not ready (pipelined requests behind one whose
// answer is not done; a WebSocket frame behind a message being inflated) are bounded in bytes by
// the read-ahead limit; they must also cost about their bytes when they come one byte per TCP
// segment, not a Buffer (~440 bytes) per segment: small chunks are joined as they are held.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Request } from '@http-kit/http1';
import { fullGc, sleep, useServers } from '@http-kit/test-support';

const servers = useServers({ stopTimeout: 200 });

async function memoryInUse(): Promise<number> {
  await fullGc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

describe('input held behind a request whose answer is not done', () => {
  it('costs about its bytes when it comes one byte per TCP segment', async () => {
    let release!: () => void;
    const answered = new Promise<void>((resolve) => (release = resolve));
    let requests = 0;
    const { port } = await servers.start(async (_req: Request) => {
      requests++;
      await answered;
      return { status: 200, body: 'ok' };
    });
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.resume();
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(50);
    // The next request's head, a byte per write and a turn apart: the server reads them apart and holds them.
    const next = Buffer.from(`GET /second HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`);
    const before = await memoryInUse();
    for (let i = 0; i < next.length; i++) {
      socket.write(next.subarray(i, i + 1));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await sleep(100);
    const grown = (await memoryInUse()) - before;
    expect(requests).toBe(1);
    // A Buffer per held segment cost ~440 bytes each (~9 MB here).
    expect(grown).toBeLessThan(2 * 1024 * 1024);
    release();
    socket.destroy();
  }, 30_000);
});
