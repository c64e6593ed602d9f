/**
 * stopOnSignals: a SIGTERM lets a parked long poll answer from its onClose, a WebSocket hears
 * 1001, the server stops; then the handlers are gone. In a child process with a real signal, the
 * process exits 0 after answering what was in flight.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stopOnSignals } from '@http-kit/middleware';
import { asChannel, runServer } from '@http-kit/http1';
import { connect } from '@http-kit/websocket';
import { get } from '@http-kit/client';
import { eventually } from '@http-kit/test-support';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('stopOnSignals', () => {
  it('on SIGTERM stops gracefully: parked polls answer, WebSockets close 1001, then the handlers go', async () => {
    let parked = 0;
    const server = await runServer(
      (req) =>
        asChannel(req, {
          onOpen: () => {
            if (!req.websocket) parked++;
          },
          onClose: (ch, reason) => {
            if (reason === 'server-stopping') ch.send({ status: 200, body: 'last answer' });
          },
        }),
      { ip: '127.0.0.1', port: 0 },
    );
    const before = process.listenerCount('SIGTERM');
    const stopped: string[] = [];
    stopOnSignals(server, { exit: false, timeout: 2000, onSignal: (s) => stopped.push(s), onStopped: () => stopped.push('stopped') });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    const poll = get(`http://127.0.0.1:${server.port}/`);
    const closes: number[] = [];
    const ws = await connect(`ws://127.0.0.1:${server.port}/`, { onClose: (_ch, _reason, info) => closes.push(info.code) });
    await eventually(() => parked === 1);
    process.emit('SIGTERM', 'SIGTERM');
    expect((await poll).body).toBe('last answer');
    await eventually(() => stopped.length === 2, 3000, 'the server to stop');
    expect(stopped).toEqual(['SIGTERM', 'stopped']);
    expect(closes).toEqual([1001]);
    expect(server.status).toBe('stopped');
    expect(process.listenerCount('SIGTERM')).toBe(before);
    void ws;
  });

  it('refuses what is no server, and bad options, by name', () => {
    expect(() => stopOnSignals({} as never)).toThrow(/server must be what runServer resolved to/);
    expect(() => stopOnSignals({ stop() {} } as never, { signals: ['TERM' as never] })).toThrow(/signal names such as 'SIGTERM'/);
  });

  it('a real SIGTERM to a process: what is in flight is answered, then it exits 0', async () => {
    if (!existsSync(`${ROOT}packages/middleware/dist/index.js`))
      execFileSync(process.execPath, ['scripts/build.mjs', '--no-types'], { cwd: ROOT, timeout: 60_000 });
    const program = `
      import { runServer } from '@http-kit/http1';
      import { stopOnSignals } from '@http-kit/middleware';
      const server = await runServer(async () => { await new Promise((r) => setTimeout(r, 300)); return 'slow but done'; }, { ip: '127.0.0.1', port: 0 });
      stopOnSignals(server, { onSignal: () => {} });
      console.log(server.port);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', program], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d) => resolve(Number(String(d).trim())));
      child.once('exit', () => reject(new Error(`child exited early: ${stderr}`)));
    });
    const answer = get(`http://127.0.0.1:${port}/`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the request is in flight
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect((await answer).body).toBe('slow but done');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  }, 30_000);
});
