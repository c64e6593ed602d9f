// A response body streamed from a Node Readable to clients that do not read: the server must
// hold what the sockets' buffers allow and no more, and must not copy what the stream buffered
// (Node's async iterator joins buffered chunks into new Buffers). The body here is one shared
// 1 MiB Buffer pushed again and again, so every byte the server holds beyond it is a copy;
// node:http with pipe() is measured beside it, in the same process.
import http from 'node:http';
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Request } from '@http-kit/http1';
import { closeAfterEach, fullGc, listen, sleep, useServers, within } from '@http-kit/test-support';

const MiB = 1024 * 1024;
const SHARED = Buffer.alloc(MiB, 0x61);
const BODY = 64 * MiB;
const CLIENTS = 8;

const ours = useServers({ stopTimeout: 200 });
const theirs = closeAfterEach();

/** A stream of `total` bytes, each push the same 1 MiB Buffer. */
function sharedStream(total: number): Readable {
  let pushed = 0;
  return new Readable({
    read() {
      if (pushed >= total) return void this.push(null);
      pushed += SHARED.length;
      this.push(SHARED);
    },
  });
}

async function arrayBuffers(): Promise<number> {
  await fullGc();
  return process.memoryUsage().arrayBuffers;
}

/**
 * `CLIENTS` clients with 4 KiB receive buffers (SO_RCVBUF, set before connecting: Node cannot),
 * each pipelining two GETs and never reading, in a Python child. Resolves once they are
 * connected and the server has stalled on them; `stop()` kills the child.
 */
async function parkedClients(port: number): Promise<{ stop(): void }> {
  const script = `
import socket, sys, time
held = []
for i in range(${CLIENTS}):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(('127.0.0.1', ${port}))
    s.sendall(b'GET /a HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nGET /b HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')
    held.append(s)
print('connected', flush=True)
time.sleep(30)
`;
  const child = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await within(
    10_000,
    'the Python clients',
    new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the Python clients exited with ${code}`)));
    }),
  );
  await sleep(500); // the socket buffers fill; the pumps stop
  return { stop: () => child.kill('SIGKILL') };
}

/** What the server holds in array buffers beyond the shared Buffer, with its clients parked. */
async function heldWith(port: number): Promise<number> {
  const before = await arrayBuffers();
  const clients = await parkedClients(port);
  try {
    return (await arrayBuffers()) - before;
  } finally {
    clients.stop();
  }
}

describe('a streamed Readable body to clients that do not read', () => {
  it('is not copied: the server holds no more than node:http with pipe() does, about nothing', async () => {
    const node = http.createServer((_req, res) => sharedStream(BODY).pipe(res));
    const nodeServer = await listen(node);
    theirs.push(nodeServer);
    const { port } = await ours.start((_req: Request) => ({ status: 200, body: sharedStream(BODY) }));

    const heldByNode = await heldWith(nodeServer.port);
    const heldByUs = await heldWith(port);
    // Before: ~2 MiB of joined copies per client (16 MiB here).
    expect(heldByUs).toBeLessThan(Math.max(heldByNode, 0) + 2 * MiB);
  }, 20_000);

  it('still streams a Readable, a web ReadableStream and an async iterable to a client that reads', async () => {
    const bodies: Record<string, () => unknown> = {
      '/readable': () => sharedStream(4 * MiB),
      '/web': () => Readable.toWeb(sharedStream(4 * MiB)),
      '/iterable': () =>
        (async function* () {
          for (let i = 0; i < 4; i++) yield SHARED;
        })(),
    };
    const { port } = await ours.start((req: Request) => ({ status: 200, body: bodies[req.uri]() as never }));
    for (const path of Object.keys(bodies)) {
      const length = await new Promise<number>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path }, (res) => {
            let n = 0;
            res.on('data', (chunk: Buffer) => (n += chunk.length));
            res.on('end', () => resolve(n));
          })
          .on('error', reject);
      });
      expect(length, path).toBe(4 * MiB);
    }
  }, 20_000);
});
