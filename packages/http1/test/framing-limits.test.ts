/**
 * What a request may cost in bytes that are not body (issue 9): llhttp skips chunk extensions
 * and padding without a callback, so before these limits `5;eeee…` was read for ever (4 GiB in
 * 8 s), a 100 KiB extension was accepted, and 1-byte chunks with 1,000-byte extensions passed a
 * 1 MiB maxBody only after about 1 GB. Now:
 *
 * - a chunk-size line with its extensions over 4 KiB: 413;
 * - a body's framing in all (lines, extensions, trailers) over max(64 KiB, maxBody): 413;
 * - trailers over maxHeaderSize, their padding included: 431;
 * - a head padded past maxLine + maxHeaderSize + 4 KiB: 431.
 *
 * Every case runs over a real socket; the hostile ones are pumped as fast as the server reads.
 */
import { describe, expect, it } from 'vitest';
import { RawClient, useServers } from '@http-kit/test-support';

const servers = useServers();

const CHUNKED = 'POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';

/** A handler that reads the whole body and says how long it was. */
const readAll = async (req: { body: { bytes(): Promise<Buffer> } | null }) =>
  `got ${req.body === null ? 0 : (await req.body.bytes()).length}`;

/**
 * Writes `first`, then `next()` again and again (with backpressure) until the server answers or
 * closes, or `limit` bytes went out. Resolves with the bytes written and how the exchange ended.
 */
async function pump(port: number, first: string, next: () => Buffer, limit: number) {
  const client = await RawClient.connect(port);
  const started = Date.now();
  let written = 0;
  await client.write(first);
  written += first.length;
  while (written < limit && client.received.length === 0 && !client.closed && !client.ended && !client.reset) {
    const piece = next();
    await client.write(piece);
    written += piece.length;
  }
  const answeredAfter = written;
  const result = await client.readUntilClose({ timeout: 5_000 });
  return { ...result, written: answeredAfter, ms: Date.now() - started };
}

describe('chunk extensions', () => {
  it('an endless extension ("5;eeee…") is answered 413 after a few KiB and the connection closes', async () => {
    const { port } = await servers.start(readAll);
    const block = Buffer.alloc(64 * 1024, 'e');
    const result = await pump(port, `${CHUNKED}5;`, () => block, 256 * 1024 * 1024);
    expect(
      result.responses.map((r) => r.status),
      result.text.slice(0, 200),
    ).toEqual([413]);
    expect(result.responses[0].text).toMatch(/^Payload Too Large: Chunk-size line with extensions longer than 4096 bytes/);
    expect(result.closedByServer).toBe(true);
    // What the client got into socket buffers before the answer, not what the server read; still
    // a far cry from the 4 GiB read before.
    expect(result.written).toBeLessThan(32 * 1024 * 1024);
    expect(result.ms).toBeLessThan(4_000);
  });

  it('a 100 KiB extension is refused with 413 (node:http: 413 past 16 KiB)', async () => {
    const calls: number[] = [];
    const { port } = await servers.start(async (req) => {
      calls.push(1);
      return readAll(req);
    });
    const client = await RawClient.connect(port);
    await client.write(`${CHUNKED}5;name=${'v'.repeat(100 * 1024)}\r\nhello\r\n0\r\n\r\n`);
    const result = await client.readUntilClose({ timeout: 3_000 });
    expect(result.responses.map((r) => r.status)).toEqual([413]);
    expect(result.closedByServer).toBe(true);
  });

  it('1-byte chunks with 1,000-byte extensions against a 1 MiB maxBody stop after about maxBody of framing', async () => {
    const maxBody = 1024 * 1024;
    const { port } = await servers.start(readAll, { maxBody });
    const chunk = `1;${'x'.repeat(1000)}\r\na\r\n`;
    const block = Buffer.from(chunk.repeat(64));
    const result = await pump(port, CHUNKED, () => block, 64 * maxBody);
    expect(
      result.responses.map((r) => r.status),
      result.text.slice(0, 200),
    ).toEqual([413]);
    expect(result.responses[0].text).toMatch(/^Payload Too Large: Chunked framing of \d+ bytes/);
    expect(result.written).toBeLessThan(12 * maxBody);
  });

  it('honest framing passes: extensions of a few bytes, small chunks, and maxBody in 1 KiB chunks', async () => {
    const maxBody = 1024 * 1024;
    const { port } = await servers.start(readAll, { maxBody });
    const client = await RawClient.connect(port);
    const kib = 'k'.repeat(1024);
    await client.write(`${CHUNKED}${`400;sig=abc\r\n${kib}\r\n`.repeat(1024)}0\r\n\r\n`);
    await client.write(`${CHUNKED}${'8\r\n12345678\r\n'.repeat(4096)}0\r\nX-Checksum: 1\r\n\r\n`);
    const responses = await client.waitForResponses(2, { timeout: 5_000 });
    expect(responses.map((r) => [r.status, r.text])).toEqual([
      [200, `got ${maxBody}`],
      [200, 'got 32768'],
    ]);
    client.destroy();
  });
});

describe('trailers', () => {
  it('trailer fields over maxHeaderSize: 431', async () => {
    const { port } = await servers.start(readAll, { maxHeaderSize: 2048 });
    const client = await RawClient.connect(port);
    await client.write(`${CHUNKED}5\r\nhello\r\n0\r\n${'X-T: aaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(100)}\r\n`);
    const result = await client.readUntilClose({ timeout: 3_000 });
    expect(result.responses.map((r) => r.status)).toEqual([431]);
    expect(result.responses[0].text).toMatch(/trailer fields too large/);
  });

  it('a trailer padded with 100 KiB of whitespace (which llhttp skips without a word): 431', async () => {
    const { port } = await servers.start(readAll, { maxHeaderSize: 4096 });
    const client = await RawClient.connect(port);
    await client.write(`${CHUNKED}5\r\nhello\r\n0\r\nX-T:`);
    await client.write(' '.repeat(100 * 1024));
    await client.write('v\r\n\r\n');
    const result = await client.readUntilClose({ timeout: 3_000 });
    expect(result.responses.map((r) => r.status)).toEqual([431]);
  });

  it('endless trailer padding is answered 431 and closed', async () => {
    const { port } = await servers.start(readAll);
    const block = Buffer.alloc(64 * 1024, ' ');
    const result = await pump(port, `${CHUNKED}5\r\nhello\r\n0\r\nX-T:`, () => block, 256 * 1024 * 1024);
    expect(result.responses.map((r) => r.status)).toEqual([431]);
    expect(result.written).toBeLessThan(32 * 1024 * 1024);
  });
});

describe('head padding', () => {
  it('a header value padded with 100 KiB of whitespace: 431 before the handler runs', async () => {
    const calls: string[] = [];
    const { port } = await servers.start(
      (req) => {
        calls.push(req.uri);
        return 'ok';
      },
      { maxHeaderSize: 4096, maxLine: 1024 },
    );
    const client = await RawClient.connect(port);
    await client.write('GET /padded HTTP/1.1\r\nHost:');
    for (let i = 0; i < 10; i++) await client.write(' '.repeat(10 * 1024));
    await client.write('x\r\n\r\n');
    const result = await client.readUntilClose({ timeout: 3_000 });
    expect(result.responses.map((r) => r.status)).toEqual([431]);
    expect(calls).toEqual([]);
  });

  it('endless padding in a head is answered 431 and closed', async () => {
    const { port } = await servers.start(() => 'ok');
    const block = Buffer.alloc(64 * 1024, ' ');
    const result = await pump(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Pad:', () => block, 256 * 1024 * 1024);
    expect(result.responses.map((r) => r.status)).toEqual([431]);
    expect(result.written).toBeLessThan(32 * 1024 * 1024);
  });
});
