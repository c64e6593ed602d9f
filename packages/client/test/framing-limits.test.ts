/**
 * What framing may cost. llhttp skips chunk extensions and padding without a word, so the
 * client counts the bytes it feeds the parser against the body bytes it gets: a chunked body's
 * chunk-size lines, extensions and trailers may cost 64 KiB plus twice the body (plus a few
 * bytes a chunk), no more; a head (with its interim responses) may not read past maxHeaderSize
 * however it is padded. Either way the request fails fast instead of reading for ever.
 */
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createClient, type HttpResponse } from '@http-kit/client';
import { cannedServer, closeAfterEach, eventually, within } from '@http-kit/test-support';

const servers = closeAfterEach();

/**
 * Writes `head`, then `piece` as fast as the socket takes it until the socket closes or
 * `limit` bytes went out; `stats.sent` counts what was written.
 */
function flood(socket: net.Socket, head: string, piece: string, stats: { sent: number }, limit = 256 * 1024 * 1024): void {
  socket.write(head);
  const bytes = Buffer.from(piece.repeat(Math.max(1, Math.floor(16_384 / piece.length))), 'latin1');
  const pump = (): void => {
    while (!socket.destroyed && stats.sent < limit) {
      stats.sent += bytes.length;
      if (!socket.write(bytes)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

const CHUNKED = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';

describe('framing limits', () => {
  it('refuses an endless chunk extension', async () => {
    const stats = { sent: 0 };
    const server = await cannedServer((_i, _h, socket) => flood(socket, CHUNKED + '5;ext=', 'e', stats));
    servers.push(server);
    const client = createClient();
    const res = await within(3_000, 'the extension to be refused', client.get(server.url));
    expect(res.error?.code).toBe('HTTPKIT_BAD_RESPONSE');
    expect(res.error?.message).toMatch(
      /^the response's chunked framing costs too much: \d+ bytes of chunk-size lines, extensions and trailers for 0 bytes of body/,
    );
    await eventually(() => server.open.size === 0, 2_000, 'the connection to close');
    // The client stopped reading within a few socket buffers of the limit.
    expect(stats.sent).toBeLessThan(16 * 1024 * 1024);
    client.close();
  });

  it('refuses 1-byte chunks each carrying a 1000-byte extension', async () => {
    const stats = { sent: 0 };
    const piece = `1;${'e'.repeat(998)}\r\nx\r\n`;
    const server = await cannedServer((_i, _h, socket) => flood(socket, CHUNKED, piece, stats));
    servers.push(server);
    const client = createClient();
    const res = await within(3_000, 'the extensions to be refused', client.get(server.url));
    expect(res.error?.code).toBe('HTTPKIT_BAD_RESPONSE');
    expect(res.error?.message).toMatch(/chunked framing costs too much/);
    expect(stats.sent).toBeLessThan(16 * 1024 * 1024);
    client.close();
  });

  it('refuses the same with a streamed body: the stream fails', async () => {
    const stats = { sent: 0 };
    const server = await cannedServer((_i, _h, socket) => flood(socket, CHUNKED, `1;${'e'.repeat(998)}\r\nx\r\n`, stats));
    servers.push(server);
    const client = createClient();
    const res = (await client.get(server.url, { as: 'stream' })) as HttpResponse;
    const outcome = await within(
      3_000,
      'the stream to fail',
      new Promise<Error & { code?: string }>((resolve) => {
        (res.body as NodeJS.ReadableStream).on('error', resolve).resume();
      }),
    );
    expect(outcome.code).toBe('HTTPKIT_BAD_RESPONSE');
    client.close();
  });

  it('refuses huge trailers: one long field, or padding llhttp does not count', async () => {
    const client = createClient();
    const long = await cannedServer((_i, _h, socket) => flood(socket, CHUNKED + '5\r\nhello\r\n0\r\nX-Trailer: ', 'v', { sent: 0 }));
    servers.push(long);
    const res = await within(3_000, 'the trailer to be refused', client.get(long.url));
    expect(res.error?.code).toBe('HTTPKIT_HEADERS_TOO_LARGE');
    expect(res.error?.message).toBe('the response trailers (with its head) are larger than maxHeaderSize (65536 bytes)');

    const padded = await cannedServer((_i, _h, socket) => flood(socket, CHUNKED + '5\r\nhello\r\n0\r\nX-Trailer:', ' ', { sent: 0 }));
    servers.push(padded);
    const pad = await within(3_000, 'the padded trailer to be refused', client.get(padded.url));
    expect(pad.error?.code).toBe('HTTPKIT_HEADERS_TOO_LARGE');
    expect(pad.error?.message).toMatch(/^the response trailers .*larger than maxHeaderSize \(65536 bytes\)/);

    // After a body of 1 MiB the framing allowance is large: maxHeaderSize still caps the trailers.
    const stats = { sent: 0 };
    const big = `100000\r\n${'b'.repeat(0x100000)}\r\n0\r\nX-Trailer:`;
    const afterBody = await cannedServer((_i, _h, socket) => flood(socket, CHUNKED + big, ' ', stats));
    servers.push(afterBody);
    const capped = await within(3_000, 'the padded trailer to be capped', client.get(afterBody.url, { maxHeaderSize: 8_192 }));
    expect(capped.error?.code).toBe('HTTPKIT_HEADERS_TOO_LARGE');
    expect(capped.error?.message).toMatch(/^the response trailers .*larger than maxHeaderSize \(8192 bytes\)/);
    expect(stats.sent).toBeLessThan(16 * 1024 * 1024);

    const many = await cannedServer((_i, _h, socket) => flood(socket, CHUNKED + '5\r\nhello\r\n0\r\n', 'X-T: v\r\n', { sent: 0 }));
    servers.push(many);
    expect((await within(3_000, 'the trailer list to be refused', client.get(many.url))).error?.code).toBe('HTTPKIT_HEADERS_TOO_LARGE');
    client.close();
  });

  it('refuses a head padded past maxHeaderSize with whitespace llhttp does not count', async () => {
    const stats = { sent: 0 };
    const server = await cannedServer((_i, _h, socket) => flood(socket, 'HTTP/1.1 200 OK\r\nX-Padded:', ' ', stats));
    servers.push(server);
    const client = createClient();
    const res = await within(3_000, 'the padded head to be refused', client.get(server.url, { maxHeaderSize: 8_192 }));
    expect(res.error?.code).toBe('HTTPKIT_HEADERS_TOO_LARGE');
    expect(res.error?.message).toMatch(/^the response head is larger than maxHeaderSize \(8192 bytes\): \d+ bytes read without its end$/);
    client.close();
  });

  it('refuses an endless run of blank lines before the status line', async () => {
    const stats = { sent: 0 };
    const server = await cannedServer((_i, _h, socket) => flood(socket, '', '\r\n', stats));
    servers.push(server);
    const client = createClient();
    const res = await within(3_000, 'the blank lines to be refused', client.get(server.url));
    expect(res.error?.code).toBe('HTTPKIT_HEADERS_TOO_LARGE');
    expect(stats.sent).toBeLessThan(16 * 1024 * 1024);
    client.close();
  });

  it('reads honest framing: ten thousand 1-byte chunks, short extensions, trailers', async () => {
    const data = Array.from({ length: 10_000 }, (_, i) => String.fromCharCode(97 + (i % 26)));
    const body = data.map((c, i) => (i % 100 === 0 ? `1;n=${i}\r\n${c}\r\n` : `1\r\n${c}\r\n`)).join('');
    const server = await cannedServer(() => ({ bytes: CHUNKED + body + '0\r\nX-Sum: 10000\r\n\r\n' }));
    servers.push(server);
    const client = createClient();
    const res = (await client.get(server.url, { as: 'text' })) as HttpResponse;
    expect(res.error).toBeUndefined();
    expect(res.body).toBe(data.join(''));
    expect(res.trailers).toEqual({ 'x-sum': '10000' });

    // Framing five times the body (past the 64 KiB allowance): still honest, still read.
    const ticks = await cannedServer(() => ({ bytes: CHUNKED + '1\r\n.\r\n'.repeat(50_000) + '0\r\n\r\n' }));
    servers.push(ticks);
    expect(((await client.get(ticks.url, { as: 'text' })) as HttpResponse).body).toBe('.'.repeat(50_000));
    client.close();
  });
});
