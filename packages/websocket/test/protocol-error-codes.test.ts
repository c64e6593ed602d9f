// Every way a peer can break the protocol has its own stable code (HTTPKIT_WS_*, as ws's
// WS_ERR_*), carried by the WebSocketProtocolError that onClose gets as `info.error`, with the
// close code the connection was failed with. Each case is sent by a raw client to our server.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, Op, RawWebSocket } from '@http-kit/conformance';
import { asChannel, type Channel, type Request } from '@http-kit/http1';
import { type CloseInfo, WebSocketProtocolError } from '@http-kit/websocket';
import { eventually, useServers } from '@http-kit/test-support';

const servers = useServers();
const sockets: RawWebSocket[] = [];
afterEach(() => {
  for (const ws of sockets.splice(0)) ws.destroy();
});

const cases: Array<{ what: string; bytes: () => Buffer; code: string; close: number }> = [
  { what: 'a reserved opcode', bytes: () => encodeFrame(3, ''), code: 'HTTPKIT_WS_INVALID_OPCODE', close: 1002 },
  { what: 'RSV2 set', bytes: () => encodeFrame(Op.Text, 'x', { rsv: 2 }), code: 'HTTPKIT_WS_UNEXPECTED_RSV', close: 1002 },
  { what: 'a fragmented ping', bytes: () => encodeFrame(Op.Ping, '', { fin: false }), code: 'HTTPKIT_WS_FRAGMENTED_CONTROL', close: 1002 },
  { what: 'a ping of 126 bytes', bytes: () => encodeFrame(Op.Ping, 'x'.repeat(126)), code: 'HTTPKIT_WS_CONTROL_TOO_LONG', close: 1002 },
  { what: 'an unmasked frame', bytes: () => encodeFrame(Op.Text, 'x', { mask: false }), code: 'HTTPKIT_WS_EXPECTED_MASK', close: 1002 },
  {
    what: 'a continuation with no message',
    bytes: () => encodeFrame(Op.Continuation, 'x'),
    code: 'HTTPKIT_WS_UNEXPECTED_CONTINUATION',
    close: 1002,
  },
  {
    what: 'a new message inside a fragmented one',
    bytes: () => Buffer.concat([encodeFrame(Op.Text, 'a', { fin: false }), encodeFrame(Op.Text, 'b')]),
    code: 'HTTPKIT_WS_EXPECTED_CONTINUATION',
    close: 1002,
  },
  {
    what: 'a 64-bit length with its top bit set',
    bytes: () => Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4]),
    code: 'HTTPKIT_WS_INVALID_LENGTH',
    close: 1002,
  },
  {
    what: 'a close frame of one byte',
    bytes: () => encodeFrame(Op.Close, Buffer.from([3])),
    code: 'HTTPKIT_WS_INVALID_CLOSE_PAYLOAD',
    close: 1002,
  },
  {
    what: 'close code 1005 in a close frame',
    bytes: () => encodeFrame(Op.Close, Buffer.from([0x03, 0xed])),
    code: 'HTTPKIT_WS_INVALID_CLOSE_CODE',
    close: 1002,
  },
  {
    what: 'text that is not UTF-8',
    bytes: () => encodeFrame(Op.Text, Buffer.from([0xc0, 0x80])),
    code: 'HTTPKIT_WS_INVALID_UTF8',
    close: 1007,
  },
  {
    what: 'a message over maxMessageSize',
    bytes: () => encodeFrame(Op.Binary, Buffer.alloc(2000)),
    code: 'HTTPKIT_WS_MESSAGE_TOO_BIG',
    close: 1009,
  },
];

describe('WebSocket protocol failures: one code each, with the close code', () => {
  it.each(cases)('$what: $code, close $close', async ({ bytes, code, close }) => {
    let info: CloseInfo | undefined;
    let reason: string | undefined;
    const { port } = await servers.start((req: Request) =>
      asChannel(req, {
        maxMessageSize: 1000,
        onClose: ((_ch: Channel, why: string, closeInfo: CloseInfo) => {
          reason = why;
          info = closeInfo;
        }) as never,
      }),
    );
    const ws = await RawWebSocket.open(port);
    sockets.push(ws);
    await ws.send(bytes());
    await ws.expectClose(close);
    await eventually(() => info !== undefined, 3_000, 'onClose');
    expect(reason).toBe('protocol-error');
    expect(info!.code).toBe(close);
    const error = info!.error!;
    expect(error).toBeInstanceOf(WebSocketProtocolError);
    expect(error.code).toBe(code);
    expect(error.closeCode).toBe(close);
    expect(error.message).toBe(info!.reason);
  });
});
