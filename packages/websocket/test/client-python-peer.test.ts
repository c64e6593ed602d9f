// Our WebSocket client against Python's `websockets` server (Debian's python3-websockets, run
// with /usr/bin/python3: the pyenv python3 first on PATH does not have it), with and without
// permessage-deflate: echo, a 1 MiB message, pings both ways, close codes both ways.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { CloseReason } from '@http-kit/core';
import type { CloseInfo, WebSocketChannel } from '@http-kit/websocket';
import { eventually, within } from '@http-kit/test-support';
import { connect, type ConnectOptions } from '../src/client/connect.js';

const PYTHON = '/usr/bin/python3';

/** Whether Debian's python3 can import websockets; says once, in one line, why not. */
function pythonWebsockets(): boolean {
  const probe = spawnSync(PYTHON, ['-c', 'import websockets'], { stdio: 'ignore', timeout: 10_000 });
  if (probe.status === 0) return true;
  console.warn(
    `client-python-peer.test.ts skipped: ${PYTHON} cannot import websockets (Debian package python3-websockets: apt-get install python3-websockets)`,
  );
  return false;
}
const available = pythonWebsockets();

// An echo server; 'close-me CODE REASON' closes with that code, 'ping-me PAYLOAD' pings; what it
// sees of pings, pongs and close frames is printed as lines after the port.
const SCRIPT = `
import asyncio, sys, websockets
compression = 'deflate' if sys.argv[1] == 'deflate' else None

async def echo(ws, path=None):
    try:
        async for message in ws:
            if isinstance(message, str) and message.startswith('close-me '):
                _, code, reason = message.split(' ', 2)
                await ws.close(int(code), reason)
                return
            if isinstance(message, str) and message.startswith('ping-me '):
                pong = await ws.ping(message[8:].encode())
                await pong
                print('pong-received', flush=True)
                continue
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass  # a close code other than 1000/1001 ends the loop with this
    finally:
        print('closed %s %s' % (ws.close_code, ws.close_reason), flush=True)

async def main():
    async with websockets.serve(echo, '127.0.0.1', 0, max_size=None, compression=compression) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()

asyncio.run(main())
`;

interface PythonPeer {
  url: string;
  lines: string[];
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

async function pythonEcho(compression: 'deflate' | 'none'): Promise<PythonPeer> {
  const child = spawn(PYTHON, ['-c', SCRIPT, compression], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  await eventually(() => lines.length > 0 || child.exitCode !== null, 10_000, 'the Python server to print its port');
  if (child.exitCode !== null) throw new Error(`the Python server exited with ${child.exitCode}`);
  const port = Number(lines.shift());
  return { url: `ws://127.0.0.1:${port}/`, lines };
}

interface Session {
  channel: WebSocketChannel;
  pongs: string[];
  closed: Promise<{ reason: CloseReason; info: CloseInfo }>;
  next(): Promise<string | Buffer>;
}

async function open(url: string, options: ConnectOptions): Promise<Session> {
  const messages: Array<string | Buffer> = [];
  const pongs: string[] = [];
  let closedWith: (value: { reason: CloseReason; info: CloseInfo }) => void = () => {};
  const closed = new Promise<{ reason: CloseReason; info: CloseInfo }>((resolve) => (closedWith = resolve));
  const result = await connect(url, {
    ...options,
    onReceive: (_ch, message) => messages.push(message),
    onPong: (_ch, payload) => pongs.push(payload.toString()),
    onClose: (_ch, reason, info) => closedWith({ reason, info }),
  });
  if (result.error) throw result.error;
  return {
    channel: result.channel,
    pongs,
    closed,
    next: async () => {
      await eventually(() => messages.length > 0, 5_000, 'a message');
      return messages.shift()!;
    },
  };
}

describe.skipIf(!available).each([
  { name: 'without compression', compression: 'none' as const },
  { name: 'with permessage-deflate', compression: 'deflate' as const },
])('client against Python websockets, $name', ({ compression }) => {
  const options: ConnectOptions = compression === 'deflate' ? { perMessageDeflate: { threshold: 16 } } : {};

  it('echoes text, bytes and a 1 MiB message, and pings', async () => {
    const peer = await pythonEcho(compression);
    const session = await open(peer.url, options);
    expect(session.channel.compresses).toBe(compression === 'deflate');
    session.channel.send('naïve café');
    expect(await session.next()).toBe('naïve café');
    session.channel.send(Buffer.from([0, 255, 128]));
    expect([...((await session.next()) as Buffer)]).toEqual([0, 255, 128]);
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    session.channel.send(big);
    expect(((await session.next()) as Buffer).equals(big)).toBe(true);
    session.channel.ping(Buffer.from('anyone?'));
    await eventually(() => session.pongs.length === 1, 3_000, 'the pong');
    expect(session.pongs).toEqual(['anyone?']);
    session.channel.send('ping-me from python');
    await eventually(() => peer.lines.includes('pong-received'), 3_000, 'our pong at the Python server');
    session.channel.close();
  });

  it('closes from the client with a code and reason', async () => {
    const peer = await pythonEcho(compression);
    const session = await open(peer.url, options);
    session.channel.close(4001, 'client leaving');
    const { info } = await within(3_000, 'onClose', session.closed);
    expect(info.code).toBe(4001);
    await eventually(() => peer.lines.some((line) => line.startsWith('closed')), 3_000, 'the Python server to see the close');
    expect(peer.lines).toContain('closed 4001 client leaving');
  });

  it('closes from the server with a code and reason', async () => {
    const peer = await pythonEcho(compression);
    const session = await open(peer.url, options);
    session.channel.send('close-me 4005 python says bye');
    const { reason, info } = await within(3_000, 'onClose', session.closed);
    expect(reason).toBe('server-closed');
    expect(info).toEqual({ code: 4005, reason: 'python says bye' });
  });
});
