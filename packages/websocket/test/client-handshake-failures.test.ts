// How `connect` fails: always by resolving with an error of a stable code, never by rejecting or
// throwing. Raw servers answer the handshake wrongly on purpose (HTTPKIT_WS_HANDSHAKE, naming
// what was wrong); network failures keep the HTTP client's codes; bad options resolve with
// HTTPKIT_INVALID_REQUEST, as the HTTP client's do.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HttpKitError } from '@http-kit/core';
import { cannedServer, closeAfterEach, eventually, freePort, rawServer } from '@http-kit/test-support';
import { connect, type ConnectOptions } from '../src/client/connect.js';
import { WebSocketHandshakeError } from '../src/client/errors.js';

const servers = closeAfterEach();

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const accept = (key: string): string =>
  createHash('sha1')
    .update(key + GUID)
    .digest('base64');
const keyOf = (head: string): string => /\r\nsec-websocket-key: *([^\r]*)/i.exec(head)![1];

/** A raw server answering each handshake with `answer(head)` (the request head it read), then leaving the socket open. */
async function answering(answer: (head: string) => string): Promise<string> {
  const server = await cannedServer((_index, head) => ({ bytes: answer(head) }));
  servers.push(server);
  return `ws://127.0.0.1:${server.port}/`;
}

/** A 101 with the right accept key, plus `extra` header lines (each ending in CRLF). */
const switching = (head: string, extra = ''): string =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(keyOf(head))}\r\n${extra}\r\n`;

async function handshakeError(url: string, options: ConnectOptions = {}): Promise<WebSocketHandshakeError> {
  const opened: string[] = [];
  const result = await connect(url, { ...options, onOpen: () => opened.push('open'), onClose: () => opened.push('close') });
  expect(result.channel).toBeUndefined();
  expect(result.error).toBeInstanceOf(WebSocketHandshakeError);
  expect(result.error).toBeInstanceOf(HttpKitError);
  expect(result.error!.code).toBe('HTTPKIT_WS_HANDSHAKE');
  expect(opened).toEqual([]); // handlers only run for a connection that opened
  return result.error as WebSocketHandshakeError;
}

describe('a server that answers the handshake wrongly', () => {
  it('200 instead of 101: the error names the status, keeps the headers, and the connection is closed', async () => {
    const server = await cannedServer(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello' }));
    servers.push(server);
    const error = await handshakeError(`ws://127.0.0.1:${server.port}/chat`);
    expect(error.message).toMatch(/ws:\/\/127\.0\.0\.1:\d+\/chat/);
    expect(error.message).toMatch(/status 200 instead of 101 Switching Protocols/);
    expect(error.status).toBe(200);
    expect(error.headers['content-type']).toBe('text/plain');
    await eventually(() => server.open.size === 0, 2_000, 'the refused connection to close');
  });

  it('a redirect is not followed: the error names its Location', async () => {
    const url = await answering(() => 'HTTP/1.1 302 Found\r\nLocation: ws://elsewhere.example/\r\nContent-Length: 0\r\n\r\n');
    const error = await handshakeError(url);
    expect(error.status).toBe(302);
    expect(error.message).toMatch(/status 302 instead of 101 Switching Protocols \(Location: ws:\/\/elsewhere\.example\/\)/);
  });

  it('a wrong Sec-WebSocket-Accept', async () => {
    const url = await answering(
      () =>
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: c2VjcmV0IHNhdWNl\r\n\r\n',
    );
    const error = await handshakeError(url);
    expect(error.message).toMatch(/Sec-WebSocket-Accept is "c2VjcmV0IHNhdWNl", expected "[A-Za-z0-9+/]{27}=" for the key sent/);
    expect(error.status).toBe(101);
  });

  it('no Sec-WebSocket-Accept at all', async () => {
    const url = await answering(() => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    expect((await handshakeError(url)).message).toMatch(/no Sec-WebSocket-Accept header/);
  });

  it('an Upgrade other than websocket, or a Connection without upgrade', async () => {
    const other = await answering(
      (head) =>
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(keyOf(head))}\r\n\r\n`,
    );
    expect((await handshakeError(other)).message).toMatch(/Upgrade must be "websocket", got "h2c"/);
    const noConnection = await answering(
      (head) =>
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Accept: ${accept(keyOf(head))}\r\n\r\n`,
    );
    expect((await handshakeError(noConnection)).message).toMatch(/Connection must include "upgrade", got "keep-alive"/);
  });

  it('a subprotocol that was not offered', async () => {
    const url = await answering((head) => switching(head, 'Sec-WebSocket-Protocol: superchat\r\n'));
    expect((await handshakeError(url, { protocols: ['chat.v1', 'chat.v2'] })).message).toMatch(
      /the server chose the subprotocol "superchat", which was not offered \(offered: "chat.v1", "chat.v2"\)/,
    );
    expect((await handshakeError(url)).message).toMatch(
      /the server chose the subprotocol "superchat", which was not offered \(none was offered\)/,
    );
  });

  it('an extension that was not offered', async () => {
    const deflate = await answering((head) => switching(head, 'Sec-WebSocket-Extensions: permessage-deflate\r\n'));
    expect((await handshakeError(deflate)).message).toMatch(
      /bad Sec-WebSocket-Extensions answer: the server accepted "permessage-deflate", but no extension was offered/,
    );
    const unknown = await answering((head) => switching(head, 'Sec-WebSocket-Extensions: x-webkit-magic\r\n'));
    expect((await handshakeError(unknown, { perMessageDeflate: true })).message).toMatch(
      /bad Sec-WebSocket-Extensions answer: .*"x-webkit-magic", which was not offered/,
    );
  });

  it('permessage-deflate answered with bad parameters', async () => {
    const tooWide = await answering((head) =>
      switching(head, 'Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=99\r\n'),
    );
    expect((await handshakeError(tooWide, { perMessageDeflate: true })).message).toMatch(
      /bad Sec-WebSocket-Extensions answer: permessage-deflate response: server_max_window_bits must be 8\.\.15, got "99"/,
    );
    const unasked = await answering((head) =>
      switching(head, 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=15\r\n'),
    );
    expect((await handshakeError(unasked, { perMessageDeflate: { clientMaxWindowBits: 10 } })).message).toMatch(
      /client_max_window_bits=15 is more than the 10 offered/,
    );
    const garbled = await answering((head) => switching(head, 'Sec-WebSocket-Extensions: permessage-deflate;;\r\n'));
    expect((await handshakeError(garbled, { perMessageDeflate: true })).message).toMatch(
      /bad Sec-WebSocket-Extensions answer: invalid Sec-WebSocket-Extensions header/,
    );
  });
});

describe('network failures keep the HTTP client codes', () => {
  it('connection refused: HTTPKIT_CONNECT_FAILED with ECONNREFUSED', async () => {
    const port = await freePort();
    const result = await connect(`ws://127.0.0.1:${port}/`);
    expect(result.error?.code).toBe('HTTPKIT_CONNECT_FAILED');
    expect((result.error as Error & { reason?: string }).reason).toBe('ECONNREFUSED');
  });

  it('a server that never answers: HTTPKIT_TIMEOUT once `timeout` has passed, and the connection is closed', async () => {
    const server = await rawServer(() => {});
    servers.push(server);
    const started = performance.now();
    const result = await connect(`ws://127.0.0.1:${server.port}/`, { timeout: 200 });
    const took = performance.now() - started;
    expect(result.error?.code).toBe('HTTPKIT_TIMEOUT');
    expect(took).toBeGreaterThanOrEqual(150);
    expect(took).toBeLessThan(1_500);
    await eventually(() => server.open.size === 0, 3_000, 'the abandoned connection to close');
  });

  it('a wss:// server that never finishes the TLS handshake: HTTPKIT_CONNECT_TIMEOUT once `timeout` has passed', async () => {
    const server = await rawServer(() => {});
    servers.push(server);
    for (const timeout of [100, 130, 170]) {
      const started = performance.now();
      const result = await connect(`wss://127.0.0.1:${server.port}/`, { timeout });
      expect(result.error?.code).toBe('HTTPKIT_CONNECT_TIMEOUT');
      expect(performance.now() - started).toBeLessThan(timeout + 1_000);
    }
  });

  it('a server that closes without answering: HTTPKIT_CONNECTION_CLOSED', async () => {
    const server = await cannedServer(() => ({ destroy: true }));
    servers.push(server);
    const result = await connect(`ws://127.0.0.1:${server.port}/`);
    expect(result.error?.code).toBe('HTTPKIT_CONNECTION_CLOSED');
  });
});

describe('bad options resolve with HTTPKIT_INVALID_REQUEST (nothing is thrown, nothing is sent)', () => {
  const cases: Array<[string, unknown, unknown, RegExp]> = [
    ['an http:// URL', 'http://127.0.0.1:1/', {}, /the URL must be ws:\/\/ or wss:\/\/, got "http:\/\/127\.0\.0\.1:1\/"/],
    ['not a URL', 'not a url', {}, /invalid URL "not a url"/],
    ['a URL with a fragment', 'ws://127.0.0.1:1/#part', {}, /cannot have a fragment/],
    ['options that are not an object', 'ws://127.0.0.1:1/', 42, /options must be an object, got 42/],
    ['a header value with CR LF', 'ws://127.0.0.1:1/', { headers: { 'X-Evil': 'a\r\nInjected: yes' } }, /invalid value for header X-Evil/],
    [
      'a header of the handshake itself',
      'ws://127.0.0.1:1/',
      { headers: { 'Sec-WebSocket-Key': 'x' } },
      /the header Sec-WebSocket-Key is the handshake's own/,
    ],
    [
      'subprotocols as a header',
      'ws://127.0.0.1:1/',
      { headers: { 'sec-websocket-protocol': 'chat' } },
      /offer subprotocols with the protocols option/,
    ],
    ['a subprotocol that is not a token', 'ws://127.0.0.1:1/', { protocols: ['chat v1'] }, /each protocol must be a token .*got "chat v1"/],
    ['a subprotocol offered twice', 'ws://127.0.0.1:1/', { protocols: ['a', 'a'] }, /the protocol "a" is offered twice/],
    ['a negative maxMessageSize', 'ws://127.0.0.1:1/', { maxMessageSize: -1 }, /connect: maxMessageSize must be a positive number, got -1/],
    [
      'a window too wide',
      'ws://127.0.0.1:1/',
      { perMessageDeflate: { serverMaxWindowBits: 20 } },
      /serverMaxWindowBits must be an integer from 8 to 15, got 20/,
    ],
    ['a zero timeout', 'ws://127.0.0.1:1/', { timeout: 0 }, /timeout must be a positive number of ms, got 0/],
    ['a handler that is not a function', 'ws://127.0.0.1:1/', { onReceive: 'print' }, /onReceive must be a function, got "print"/],
  ];
  it.each(cases)('%s', async (_name, url, options, message) => {
    let pending: ReturnType<typeof connect> | undefined;
    expect(() => {
      pending = connect(url as string, options as ConnectOptions);
    }).not.toThrow();
    const result = await pending!;
    expect(result.error?.code).toBe('HTTPKIT_INVALID_REQUEST');
    expect(result.error?.message).toMatch(message);
  });
});
