// Conformance of our WebSocket server's opening handshake (RFC 6455 4.2.1, 4.2.2): the kit's
// group 0 (accepted variants, refused keys, versions, methods) and group 14's refusals, each
// judged OK against our echo server; and one check of ours: with permessage-deflate off, an
// offer of it is not accepted.
import { expect, it } from 'vitest';
import { RawWebSocket } from '@http-kit/conformance';
import { echoServer, kitCases } from './support/conformance.js';

const echo = echoServer();
kitCases(echo, '0.*,14.5,14.6,14.7,14.8');

it('switches without permessage-deflate when it is offered to a server that has it off', async () => {
  const ws = await RawWebSocket.open(echo.url, { extensions: 'permessage-deflate; client_max_window_bits' });
  try {
    expect(ws.answer.headers['sec-websocket-extensions']).toBeUndefined();
    expect(ws.deflate).toBeNull();
  } finally {
    ws.destroy();
  }
});
