// The kit's own cases on a WebSocket server's opening handshake (RFC 6455 4.2.1, 4.2.2), against the
// echo handler, written as raw requests. What the RFC requires:
// - 4.2.1: the client's handshake is "an HTTP/1.1 or higher GET request" with Host, "An |Upgrade|
//   header field containing the value "websocket"", "A |Connection| header field that includes
//   the token "Upgrade"", a Sec-WebSocket-Key that "when decoded, is 16 bytes in length", and
//   "Sec-WebSocket-Version ... MUST be 13". "If the server, while reading the handshake, finds
//   that the client did not send a handshake that matches the description below ..., the server
//   MUST stop processing the client's handshake and return an HTTP response with an appropriate
//   error code (such as 400 Bad Request)."
// - 4.2.2 / 4.4: for a version it does not speak, the server answers "an appropriate HTTP error
//   code (such as 426 Upgrade Required) and a |Sec-WebSocket-Version| header field indicating the
//   version(s) the server is capable of understanding".
// - 4.2.2 step 5: 101, "Upgrade: websocket", "Connection: Upgrade", Sec-WebSocket-Accept =
//   base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")); the RFC's own sample:
//   dGhlIHNhbXBsZSBub25jZQ== -> s3pPLMBiTxaQ9kYGzzhZRbK+xOo=. No subprotocol or extension the
//   client did not offer.
import { randomBytes } from 'node:crypto';
import { expect } from '../../expect.js';
import { context } from '../context.js';
import { encodeFrame, expectedAccept, Op, type RawWebSocket } from '../raw-websocket.js';
import { collect, describe, it } from './define.js';
import type { WebSocketCase, WebSocketSuiteOptions } from '../context.js';
const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const SAMPLE_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

interface RequestParts {
  requestLine?: string;
  /** Header lines; a null value leaves that header out. */
  headers?: Record<string, string | null>;
  extra?: string[];
}

function request(parts: RequestParts = {}): string {
  const headers: Record<string, string | null> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': SAMPLE_KEY,
    'Sec-WebSocket-Version': '13',
    ...parts.headers,
  };
  const lines = [parts.requestLine ?? 'GET /chat HTTP/1.1'];
  for (const [name, value] of Object.entries(headers)) if (value !== null) lines.push(`${name}: ${value}`);
  lines.push(...(parts.extra ?? []));
  return `${lines.join('\r\n')}\r\n\r\n`;
}

async function ask(parts: RequestParts, timeout = 2_000) {
  const { ws, answer } = await context().request(request(parts), timeout);
  return { ws, answer };
}

/**
 * A refused handshake: a 4xx (the RFC names `status` "such as"; any client error refuses), no
 * WebSocket (no 101), and the connection is not switched.
 */
async function expectRefused(parts: RequestParts, status: number, timeout = 2_000): Promise<RawWebSocket> {
  const { ws, answer } = await ask(parts, timeout);
  expect(answer.status >= 400 && answer.status < 500, `a refusal (4xx, such as ${status}); got ${answer.head}`).toBe(true);
  expect(answer.headers['sec-websocket-accept']).toBeUndefined();
  expect(answer.headers['upgrade']).toBeUndefined();
  return ws;
}

/** The cases of this file. */
export function handshakeCases(options: WebSocketSuiteOptions): WebSocketCase[] {
  return collect(() => {
    describe('0 opening handshake (RFC 6455 4.2)', () => {
      describe('accepted', () => {
        it("answers the RFC's sample key with its sample Sec-WebSocket-Accept", async () => {
          const { answer } = await ask({});
          expect(answer.status).toBe(101);
          expect(answer.headers['sec-websocket-accept']).toBe(SAMPLE_ACCEPT);
          expect(answer.headers['upgrade']?.toLowerCase()).toBe('websocket');
          expect(answer.headers['connection']?.toLowerCase().split(/\s*,\s*/)).toContain('upgrade');
          expect(answer.headers['sec-websocket-protocol']).toBeUndefined();
          expect(answer.headers['sec-websocket-extensions']).toBeUndefined();
          expect(answer.head.startsWith('HTTP/1.1 101')).toBe(true);
        });

        it.each(Array.from({ length: 8 }, (_, i) => ({ i, key: randomBytes(16).toString('base64') })))(
          'answers random key #$i with base64(SHA-1(key + GUID))',
          async ({ key }) => {
            const { answer } = await ask({ headers: { 'Sec-WebSocket-Key': key } });
            expect(answer.status).toBe(101);
            expect(answer.headers['sec-websocket-accept']).toBe(expectedAccept(key));
          },
        );

        const variants: Array<{ name: string; parts: RequestParts }> = [
          { name: 'Connection: keep-alive, Upgrade', parts: { headers: { Connection: 'keep-alive, Upgrade' } } },
          { name: 'Connection: Upgrade, keep-alive', parts: { headers: { Connection: 'Upgrade, keep-alive' } } },
          { name: 'Connection: upgrade (lower case)', parts: { headers: { Connection: 'upgrade' } } },
          { name: 'Connection: UPGRADE', parts: { headers: { Connection: 'UPGRADE' } } },
          { name: 'Upgrade: WebSocket (mixed case)', parts: { headers: { Upgrade: 'WebSocket' } } },
          { name: 'Upgrade: WEBSOCKET', parts: { headers: { Upgrade: 'WEBSOCKET' } } },
          {
            name: 'lower-case header names',
            parts: {
              headers: { Upgrade: null, Connection: null, 'Sec-WebSocket-Key': null, 'Sec-WebSocket-Version': null },
              extra: ['upgrade: websocket', 'connection: Upgrade', `sec-websocket-key: ${SAMPLE_KEY}`, 'sec-websocket-version: 13'],
            },
          },
          { name: 'spaces around the key', parts: { headers: { 'Sec-WebSocket-Key': `  ${SAMPLE_KEY}  ` } } },
          { name: 'an Origin header (no origins configured)', parts: { headers: { Origin: 'http://example.com' } } },
          { name: 'an unknown extension offered', parts: { headers: { 'Sec-WebSocket-Extensions': 'x-foo; bar=1' } } },
          { name: 'a query string in the target', parts: { requestLine: 'GET /chat?room=1&x=%20 HTTP/1.1' } },
        ];
        it.each(variants)('switches with $name, without a subprotocol or extension it was not offered', async ({ parts }) => {
          const { ws, answer } = await ask(parts);
          expect(answer.status, answer.head).toBe(101);
          expect(answer.headers['sec-websocket-accept']).toBe(expectedAccept((parts.headers?.['Sec-WebSocket-Key'] ?? SAMPLE_KEY).trim()));
          expect(answer.headers['sec-websocket-protocol']).toBeUndefined();
          expect(answer.headers['sec-websocket-extensions']).toBeUndefined();
          // And it is a WebSocket now.
          await ws.sendFrame(Op.Text, 'switched');
          await ws.expectMessage(Op.Text, 'switched');
        });

        // RFC 6455 4.2.2: the server picks one of the offered subprotocols, or none.
        it('switches with subprotocols offered, choosing one of them or none', async () => {
          const { answer } = await ask({ headers: { 'Sec-WebSocket-Protocol': 'chat, superchat' } });
          expect(answer.status, answer.head).toBe(101);
          const chosen = answer.headers['sec-websocket-protocol'];
          if (chosen !== undefined) expect(['chat', 'superchat'], 'the subprotocol chosen').toContain(chosen);
        });

        it('echoes frames sent in the same write as the handshake', async () => {
          const { ws, answer } = await context().request(
            Buffer.concat([
              Buffer.from(request(), 'latin1'),
              encodeFrame(Op.Text, 'first'),
              encodeFrame(Op.Binary, Buffer.from([1, 2, 3])),
            ]),
          );
          expect(answer.status).toBe(101);
          await ws.expectMessage(Op.Text, 'first');
          await ws.expectMessage(Op.Binary, Buffer.from([1, 2, 3]));
          await ws.sendClose(1000);
          await ws.expectClose(1000);
          await ws.expectTcpClosed();
        });

        it('answers a handshake written byte by byte, then echoes', async () => {
          const ws = await context().rawConnect();
          await ws.send(Buffer.from(request(), 'latin1'), 'bytewise');
          const answer = await ws.readAnswer();
          expect(answer.status).toBe(101);
          expect(answer.headers['sec-websocket-accept']).toBe(SAMPLE_ACCEPT);
          await ws.sendFrame(Op.Text, 'switched');
          await ws.expectMessage(Op.Text, 'switched');
        });
      });

      describe('refused: Sec-WebSocket-Key', () => {
        const keys = [
          { name: 'missing', key: null },
          { name: 'empty', key: '' },
          { name: '"abc"', key: 'abc' },
          { name: '15 bytes', key: randomBytes(15).toString('base64') },
          { name: '17 bytes', key: randomBytes(17).toString('base64') },
          { name: '32 bytes', key: randomBytes(32).toString('base64') },
          { name: '16 bytes without the padding', key: SAMPLE_KEY.replace(/=+$/, '') },
          { name: 'a character outside base64', key: 'dGhlIHNhbXBsZSBub25jZ!==' },
          { name: 'base64url characters', key: 'dGhlIHNhbXBsZSBub25j-_==' },
          { name: 'two keys (the header twice)', key: `${SAMPLE_KEY}, ${SAMPLE_KEY}` },
        ];
        it.each(keys)('answers a key that is $name with 400', async ({ key }) => {
          const ws = await expectRefused({ headers: { 'Sec-WebSocket-Key': key } }, 400);
          // Not switched: a frame now is not echoed, and the server closes (Connection: close).
          await ws.send(encodeFrame(Op.Text, 'not a websocket'));
          await ws.waitEnded();
        });
      });

      describe('refused: Sec-WebSocket-Version', () => {
        // RFC 6455 4.2.2: "an appropriate HTTP error code (such as 426 Upgrade Required) and a
        // |Sec-WebSocket-Version| header field indicating the version(s)" the server speaks. (Version 8
        // is left out: a server may still speak it.)
        it.each(['7', '0', '12', '14', '25', 'thirteen', '13.0', '13, 8'].map((version) => ({ version })))(
          'refuses version "$version" with a 4xx (such as 426) and a Sec-WebSocket-Version naming 13',
          async ({ version }) => {
            const { answer } = await ask({ headers: { 'Sec-WebSocket-Version': version } });
            expect(answer.status >= 400 && answer.status < 500, `a refusal; got ${answer.head}`).toBe(true);
            expect(answer.headers['sec-websocket-version'], 'Sec-WebSocket-Version').toMatch(/(^|[ ,])13($|[ ,])/);
            expect(answer.headers['upgrade']).toBeUndefined();
          },
        );

        it('answers a missing version with 400, or 426 with Sec-WebSocket-Version: 13', async () => {
          const { answer } = await ask({ headers: { 'Sec-WebSocket-Version': null } });
          expect([400, 426]).toContain(answer.status);
          if (answer.status === 426) expect(answer.headers['sec-websocket-version']).toBe('13');
        });
      });

      describe('refused: request line and Upgrade/Connection', () => {
        it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'].map((method) => ({ method })))(
          'answers a $method handshake with 400',
          async ({ method }) => {
            await expectRefused({ requestLine: `${method} /chat HTTP/1.1`, headers: { 'Content-Length': '0' } }, 400);
          },
        );

        it('answers an HTTP/1.0 handshake with 400', async () => {
          await expectRefused({ requestLine: 'GET /chat HTTP/1.0' }, 400);
        });

        // RFC 6455 4.2.1 item 4 and the "MUST ... return ... 400" above: Upgrade: websocket and a
        // key, but no Connection: Upgrade. A bounded wait: a server that parks it never answers.
        it.each([
          { name: 'missing', connection: null },
          { name: '"keep-alive"', connection: 'keep-alive' },
          { name: '"close"', connection: 'close' },
          { name: '"upgraded" (not the token)', connection: 'upgraded' },
        ])('answers a handshake whose Connection is $name with 400', async ({ connection }) => {
          await expectRefused({ headers: { Connection: connection } }, 400, 1_000);
        });
      });
    });
  });
}
