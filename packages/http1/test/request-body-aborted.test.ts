/**
 * A request body cut off under a handler's read fails with RequestBodyAbortedError saying why:
 * the client closed mid-body, or the server refused the rest (bad chunked framing) and answered
 * 400. It used to be a bare stream "Premature close" that read as the program's own bug.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { RequestBodyAbortedError } from '@http-kit/http1';
import { eventually, sleep, useServers } from '@http-kit/test-support';

const servers = useServers();

/** A server whose handler reads the body whole and records what the read threw. */
async function reader() {
  const thrown: unknown[] = [];
  const started = await servers.start(async (req) => {
    try {
      return `read ${(await req.body!.text()).length}`;
    } catch (error) {
      thrown.push(error);
      return { status: 400, body: 'cut' };
    }
  });
  return { port: started.port, thrown };
}

describe('a request body cut off under its reader', () => {
  it('the client half-closes mid-body: RequestBodyAbortedError names the client and the bytes read', async () => {
    const { port, thrown } = await reader();
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789');
    await sleep(50);
    socket.end();
    await eventually(() => thrown.length === 1);
    socket.destroy();
    const error = thrown[0] as RequestBodyAbortedError;
    expect(error).toBeInstanceOf(RequestBodyAbortedError);
    expect(error.code).toBe('HTTPKIT_REQUEST_BODY_ABORTED');
    expect(error.message).toBe(
      'Request body ended after 10 bytes, before it was whole: the client closed its side of the connection mid-body',
    );
  });

  it('bad chunked framing after some data: it names the refusal and the status the client got', async () => {
    const { port, thrown } = await reader();
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    let received = '';
    socket.setEncoding('latin1').on('data', (text: string) => (received += text));
    socket.write('POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    await sleep(50);
    socket.write('zz\r\n');
    await eventually(() => thrown.length === 1 && received.includes('\r\n\r\n'));
    socket.destroy();
    expect(received).toMatch(/^HTTP\/1\.1 400 /);
    const error = thrown[0] as RequestBodyAbortedError;
    expect(error).toBeInstanceOf(RequestBodyAbortedError);
    expect(error.message).toMatch(
      /^Request body ended after 5 bytes, before it was whole: the server refused the rest of the request \(.*chunk size.*\) and answered 400$/i,
    );
  });
});
