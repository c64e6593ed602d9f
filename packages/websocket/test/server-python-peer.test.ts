// Our WebSocket server with Python's `websockets` as the client (Debian's python3-websockets, run
// with /usr/bin/python3: the pyenv python3 first on PATH does not have it), with and without
// permessage-deflate: text and binary echo, a 1 MiB message, ping/pong, close codes both ways.
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import '@http-kit/websocket';
import { asChannel, type Request } from '@http-kit/http1';
import { useServers } from '@http-kit/test-support';

const PYTHON = '/usr/bin/python3';
const available = spawnSync(PYTHON, ['-c', 'import websockets'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
if (!available) console.warn(`server-python-peer.test.ts skipped: ${PYTHON} cannot import websockets (Debian package python3-websockets)`);

const servers = useServers({ stopTimeout: 1_000 });

// Runs a scripted client against ws://127.0.0.1:PORT/ and prints what it saw, one JSON per line.
const SCRIPT = `
import asyncio, json, sys, websockets
port, compression = int(sys.argv[1]), ('deflate' if sys.argv[2] == 'deflate' else None)

async def main():
    async with websockets.connect('ws://127.0.0.1:%d/' % port, compression=compression, max_size=None) as ws:
        print(json.dumps({'extensions': [type(e).__name__ for e in ws.extensions]}), flush=True)
        await ws.send('héllo')
        print(json.dumps({'text': await ws.recv()}), flush=True)
        await ws.send(bytes([0, 1, 2, 255]))
        print(json.dumps({'binary': list(await ws.recv())}), flush=True)
        big = 'x' * (1024 * 1024)
        await ws.send(big)
        print(json.dumps({'big': len(await ws.recv())}), flush=True)
        pong = await ws.ping(b'py-ping')
        await asyncio.wait_for(pong, 5)
        print(json.dumps({'pong': True}), flush=True)
        await ws.send('close-me')
        try:
            await asyncio.wait_for(ws.recv(), 5)
        except websockets.ConnectionClosed as closed:
            print(json.dumps({'closed': closed.rcvd.code, 'reason': closed.rcvd.reason}), flush=True)

asyncio.run(main())
`;

function runClient(port: number, mode: string): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', SCRIPT, String(port), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (err += t));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`python client still running after 15 s; stdout ${out} stderr ${err}`));
    }, 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`python client exited ${code}: ${err}`));
      else
        resolve(
          out
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line)),
        );
    });
  });
}

const handler = (req: Request) =>
  asChannel(req, {
    onReceive: (ch, message) => (message === 'close-me' ? ch.close(4000, 'asked to') : ch.send(message)),
  });

describe.skipIf(!available)('our server with Python websockets as the client', () => {
  for (const mode of ['plain', 'deflate']) {
    it(`echoes, pongs and closes (${mode})`, async () => {
      const { port } = await servers.start(handler, mode === 'deflate' ? { perMessageDeflate: true } : {});
      const seen = await runClient(port, mode);
      expect(seen).toEqual([
        { extensions: mode === 'deflate' ? ['PerMessageDeflate'] : [] },
        { text: 'héllo' },
        { binary: [0, 1, 2, 255] },
        { big: 1024 * 1024 },
        { pong: true },
        { closed: 4000, reason: 'asked to' },
      ]);
    });
  }
});
