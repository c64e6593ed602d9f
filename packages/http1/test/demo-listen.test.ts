/**
 * The demo server listens where its banner and the README say: 127.0.0.1 unless IP says
 * otherwise, so `npm start` on a laptop does not open the demo (a chat anyone can post to) to
 * the network. Run as it ships (`node demo/server.mjs`, the built packages) with PORT=0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { requestOnce, tryConnect } from '@http-kit/test-support';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Starts the demo with `env` on top of ours (IP removed); resolves with its banner line. */
function startDemo(env: Record<string, string>): Promise<string> {
  const base: NodeJS.ProcessEnv = { ...process.env, PORT: '0', ...env };
  if (!('IP' in env)) delete base.IP;
  const child = spawn(process.execPath, ['demo/server.mjs'], { cwd: ROOT, env: base, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the demo printed no banner in 10 s; stdout ${JSON.stringify(stdout)} stderr ${JSON.stringify(stderr)}`)),
      10_000,
    );
    child.once('exit', (code) => reject(new Error(`the demo exited (${code}); stderr ${JSON.stringify(stderr)}`)));
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      const line = /^http-kit demo listening on .*$/m.exec(stdout);
      if (line === null) return;
      clearTimeout(timer);
      resolve(line[0]);
    });
  });
}

/** An IPv4 address of this machine other than loopback, if it has one. */
function externalAddress(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return null;
}

describe('the demo server', () => {
  it('listens on 127.0.0.1 by default, as its banner says, and not on other interfaces', async () => {
    const banner = await startDemo({});
    const match = /listening on http:\/\/127\.0\.0\.1:(\d+)\/ \(every demo is linked from \/\)$/.exec(banner);
    expect(match, banner).not.toBeNull();
    const port = Number(match![1]);
    const response = await requestOnce(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(response.status).toBe(200);
    const external = externalAddress();
    if (external !== null) {
      // Bound to loopback only: a connect to the machine's other address is refused.
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ host: external, port });
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
      });
      expect(outcome, `a connect to ${external}:${port}`).toBe('ECONNREFUSED');
    }
  });

  it('IP=0.0.0.0 opens it to every interface, and the banner says so', async () => {
    const banner = await startDemo({ IP: '0.0.0.0' });
    const match = /listening on http:\/\/0\.0\.0\.0:(\d+)\/ \(every demo is linked from \/\) on every interface$/.exec(banner);
    expect(match, banner).not.toBeNull();
    expect(await tryConnect(Number(match![1]))).toBe('connected');
  });
});
