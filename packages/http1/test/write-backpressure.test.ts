import { describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { sleep, useServers } from '@http-kit/test-support';

const servers = useServers({ stopTimeout: 500 });

describe('a client that pipelines requests but does not read the answers', () => {
  it('stops being read until it reads: answers never pile up in the server', async () => {
    const TOTAL = 3000;
    const BODY = 'x'.repeat(16 * 1024);
    let answered = 0;
    const { port } = await servers.start(
      () => {
        answered++;
        return { status: 200, headers: { 'content-type': 'text/plain' }, body: BODY };
      },
      { writeTimeout: 10_000 },
    );
    const socket: Socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause(); // read nothing yet
    const request = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';
    socket.write(request.repeat(TOTAL));
    await sleep(500);
    // 3000 answers are 48 MB; what the server may have produced without a reader is bounded by
    // the socket buffers plus one read's worth of requests.
    expect(answered).toBeLessThan(TOTAL / 2);
    const stalledAt = answered;
    await sleep(200);
    expect(answered).toBe(stalledAt);

    // Now read everything: every request gets its answer, in order.
    let received = 0;
    let tail = '';
    const done = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        const text = tail + chunk.latin1Slice();
        let at = 0;
        for (;;) {
          const next = text.indexOf('HTTP/1.1 200 OK', at);
          if (next === -1) break;
          received++;
          at = next + 15;
        }
        tail = text.slice(Math.max(at, text.length - 15));
        if (received === TOTAL) resolve();
      });
    });
    socket.resume();
    await Promise.race([done, sleep(15_000)]);
    expect(received).toBe(TOTAL);
    expect(answered).toBe(TOTAL);
    socket.destroy();
  });
});
