/**
 * Interim (1xx) responses are skipped, but not without end: past 10 before the final response
 * the request fails with HTTPKIT_BAD_RESPONSE, and slow ones run into the `timeout` deadline.
 */
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import { BadResponseError, createClient, type HttpResponse } from '@http-kit/client';
import { cannedServer, closeAfterEach, eventually, within } from '@http-kit/test-support';

const servers = closeAfterEach();

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
const HINTS = 'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n';

/** Writes `bytes` every `everyMs` until the socket closes. */
function repeat(socket: net.Socket, bytes: string, everyMs: number): void {
  const timer = setInterval(() => {
    if (socket.destroyed) clearInterval(timer);
    else socket.write(bytes);
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
}

/** Writes `bytes` as fast as the socket takes them, until it closes. */
function flood(socket: net.Socket, bytes: string): void {
  const piece = Buffer.from(bytes.repeat(Math.ceil(16_384 / bytes.length)), 'latin1');
  const pump = (): void => {
    while (!socket.destroyed && socket.write(piece));
    if (!socket.destroyed) socket.once('drain', pump);
  };
  pump();
}

describe('interim responses', () => {
  it('fails fast on an endless flood of 100 Continue', async () => {
    const server = await cannedServer((_i, _head, socket) => flood(socket, CONTINUE));
    servers.push(server);
    const client = createClient();
    const res = await within(3_000, 'the flood to be refused', client.get(server.url));
    expect(res.error?.code).toBe('HTTPKIT_BAD_RESPONSE');
    expect(res.error).toBeInstanceOf(BadResponseError);
    expect(res.error?.message).toBe('the server sent more than 10 interim (1xx) responses before the final one');
    await eventually(() => server.open.size === 0, 2_000, 'the connection to close');
    client.close();
  });

  it('fails on 1xx sent one every 60 ms, at the 11th', async () => {
    const server = await cannedServer((_i, _head, socket) => repeat(socket, HINTS, 60));
    servers.push(server);
    const client = createClient();
    const start = performance.now();
    const res = await within(3_000, 'the slow 1xx to be refused', client.get(server.url));
    expect(res.error?.code).toBe('HTTPKIT_BAD_RESPONSE');
    expect(performance.now() - start).toBeGreaterThan(500);
    client.close();
  });

  it('fails on 1xx sent one every 300 ms at the deadline', async () => {
    const server = await cannedServer((_i, _head, socket) => repeat(socket, CONTINUE, 300));
    servers.push(server);
    const client = createClient();
    const res = await within(3_000, 'the deadline', client.get(server.url, { timeout: 800 }));
    expect(res.error?.code).toBe('HTTPKIT_TIMEOUT');
    client.close();
  });

  it('reads the final response after 10 interim ones', async () => {
    const server = await cannedServer(() => ({ bytes: CONTINUE + HINTS.repeat(9) + 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' }));
    servers.push(server);
    const client = createClient();
    const res = (await client.get(server.url)) as HttpResponse;
    expect(res.status).toBe(200);
    expect(res.body).toEqual(Buffer.from('ok'));
    // The count is per response: the same connection takes another ten.
    expect(((await client.get(server.url)) as HttpResponse).status).toBe(200);
    expect(server.connections).toBe(1);
    client.close();
  });
});
