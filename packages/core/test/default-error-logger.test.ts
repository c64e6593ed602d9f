/**
 * The default errorLogger's line for a handler that throws: the message, the error's first line,
 * then the program's own frame first; frames inside http-kit, Node and the wasm parser are
 * counted, not shown. Over a real socket, with console.error captured.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runServer, type HttpServer } from '@http-kit/http1';
import { exchange } from '@http-kit/test-support';
import { formatError } from '../src/logger.js';

let server: HttpServer | null = null;
afterEach(async () => {
  await server?.stop({ timeout: 100 });
  server = null;
  vi.restoreAllMocks();
});

function failingHandler(): never {
  throw new Error('boom in the handler');
}

describe('the default errorLogger', () => {
  it("prints the program's frame first and trims library, Node and wasm frames", async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      printed.push(args.map(String).join(' '));
    });
    server = await runServer(() => failingHandler(), { port: 0, ip: '127.0.0.1' });
    const response = (await exchange(server.port, 'GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).responses[0];
    expect(response.status).toBe(500);
    expect(printed).toHaveLength(1);
    const lines = printed[0].split('\n');
    expect(lines[0]).toBe('[http-kit] Handler failed for GET /x');
    expect(lines[1]).toBe('Error: boom in the handler');
    expect(lines[2]).toMatch(/^\s+at failingHandler .*default-error-logger\.test\.ts:\d+:\d+/);
    expect(printed[0]).not.toMatch(/wasm:\/\/|packages\/(core|http1)\/src\/|node:internal/);
    expect(lines.at(-1)).toMatch(/^\s+\(\d+ frames inside http-kit and Node not shown\)$/);
  });

  it('keeps the top frame when the program has none, names the code, and follows the cause', () => {
    const inner = Object.assign(new Error('socket gone'), { code: 'ECONNRESET' });
    inner.stack = 'Error: socket gone\n    at Socket.emit (node:events:519:28)\n    at wasm://wasm/00b6:wasm-function[42]:0x1a2b';
    const outer = new Error('write failed', { cause: inner });
    outer.stack = `Error: write failed\n    at SocketLoop.flush (${new URL('../src/socket-loop.ts', import.meta.url).pathname}:10:5)\n    at node:net:1:1`;
    const text = formatError(outer);
    expect(text.split('\n')).toEqual([
      'Error: write failed',
      expect.stringContaining('at SocketLoop.flush'),
      '    (1 frame inside http-kit and Node not shown)',
      '  cause: Error: socket gone [ECONNRESET]',
      '    at Socket.emit (node:events:519:28)',
      '    (1 frame inside http-kit and Node not shown)',
    ]);
  });
});
