// Conformance of our WebSocket server, groups 12 and 13 of the Autobahn|Testsuite numbering
// (permessage-deflate, RFC 7692): Autobahn's cases and the kit's own, against our server
// compressing everything (threshold 0) and with its default threshold; then what only our
// options decide, checked here with the kit's raw client: when the echo comes back compressed
// (threshold), and what each server option puts in the response (RFC 7692 7.1).
import { describe, expect, it } from 'vitest';
import { DEFLATE_OFFER, Op, parseDeflateResponse, pseudoRandom, RawWebSocket } from '@http-kit/conformance';
import { echoServer, kitCases } from './support/conformance.js';

const plain = echoServer();
const deflate = echoServer({ perMessageDeflate: { threshold: 0 } });
const deflateDefault = echoServer({ perMessageDeflate: true });
const serverNoContext = echoServer({ perMessageDeflate: { threshold: 0, serverNoContextTakeover: true } });
const clientNoContext = echoServer({ perMessageDeflate: { threshold: 0, clientNoContextTakeover: true } });
const serverBits10 = echoServer({ perMessageDeflate: { threshold: 0, serverMaxWindowBits: 10 } });
const clientBits10 = echoServer({ perMessageDeflate: { threshold: 0, clientMaxWindowBits: 10 } });

// Autobahn's 12 and 13 are 216 runs of up to 1000 messages; here the first, a middle and the
// last run of each data set and each offer (the command runs them all), and all the kit's own.
kitCases(deflate, '12.*.1,12.*.10,12.*.18,13.*.1,13.*.10,13.*.18,12.x.*,13.x.*');
kitCases(deflateDefault, '12.x.*,13.x.*');
// Without permessage-deflate every Autobahn case of 12 and 13 is UNIMPLEMENTED, never FAILED.
kitCases(plain, '12.1.1,13.1.1,13.7.18', {
  expected: { '12.1.1': 'UNIMPLEMENTED', '13.1.1': 'UNIMPLEMENTED', '13.7.18': 'UNIMPLEMENTED' },
});

async function open(url: string, extensions: string = DEFLATE_OFFER): Promise<RawWebSocket> {
  return RawWebSocket.open(url, { extensions });
}

async function closeCleanly(ws: RawWebSocket): Promise<void> {
  await ws.sendClose(1000);
  await ws.expectClose(1000);
  await ws.expectTcpClosed();
}

describe('the threshold decides which echoes are compressed', () => {
  it.each([0, 16, 1023, 1024, 65536].map((n) => ({ n })))('echoes $n bytes compressed with threshold 0', async ({ n }) => {
    const ws = await open(deflate.url);
    try {
      await ws.sendCompressed(Op.Binary, pseudoRandom(n));
      expect((await ws.expectMessage(Op.Binary, pseudoRandom(n))).compressed).toBe(true);
      await closeCleanly(ws);
    } finally {
      ws.destroy();
    }
  });

  it.each([0, 16, 1023, 1024, 65536].map((n) => ({ n })))(
    'echoes $n bytes compressed only from 1024 bytes with the default threshold',
    async ({ n }) => {
      const ws = await open(deflateDefault.url);
      try {
        await ws.sendCompressed(Op.Binary, pseudoRandom(n));
        expect((await ws.expectMessage(Op.Binary, pseudoRandom(n))).compressed).toBe(n >= 1024);
        await closeCleanly(ws);
      } finally {
        ws.destroy();
      }
    },
  );
});

describe('what our server options put in the response (RFC 7692 7.1)', () => {
  const rows = [
    {
      what: 'serverNoContextTakeover',
      server: () => serverNoContext.url,
      offer: 'permessage-deflate',
      check: /server_no_context_takeover/,
    },
    {
      what: 'clientNoContextTakeover',
      server: () => clientNoContext.url,
      offer: 'permessage-deflate',
      check: /client_no_context_takeover/,
    },
    { what: 'serverMaxWindowBits 10', server: () => serverBits10.url, offer: 'permessage-deflate', check: /server_max_window_bits=10/ },
    {
      what: 'serverMaxWindowBits 10, offer of 12',
      server: () => serverBits10.url,
      offer: 'permessage-deflate; server_max_window_bits=12',
      check: /server_max_window_bits=10/,
    },
    {
      what: 'serverMaxWindowBits 10, offer of 9',
      server: () => serverBits10.url,
      offer: 'permessage-deflate; server_max_window_bits=9',
      check: /server_max_window_bits=9/,
    },
    {
      what: 'clientMaxWindowBits 10',
      server: () => clientBits10.url,
      offer: 'permessage-deflate; client_max_window_bits',
      check: /client_max_window_bits=10/,
    },
    {
      what: 'clientMaxWindowBits 10, offer of 9',
      server: () => clientBits10.url,
      offer: 'permessage-deflate; client_max_window_bits=9',
      check: /client_max_window_bits=9/,
    },
    {
      what: 'clientMaxWindowBits 10, offer of 15',
      server: () => clientBits10.url,
      offer: 'permessage-deflate; client_max_window_bits=15',
      check: /client_max_window_bits=10/,
    },
  ];
  it.each(rows)('answers "$offer" with $what as it says, then exchanges compressed messages', async ({ server, offer, check }) => {
    const ws = await open(server(), offer);
    try {
      const raw = ws.answer.headers['sec-websocket-extensions'];
      expect(raw).toMatch(check);
      expect(parseDeflateResponse(raw)).not.toBeNull();
      const block = pseudoRandom(3000, 7);
      for (let i = 0; i < 6; i++) {
        await ws.sendCompressed(Op.Binary, block);
        await ws.expectMessage(Op.Binary, block);
      }
      await closeCleanly(ws);
    } finally {
      ws.destroy();
    }
  });

  it('declines an offer that does not let the client limit its window when the server wants it limited (or accepts without client_max_window_bits)', async () => {
    const ws = await open(clientBits10.url, 'permessage-deflate');
    try {
      const raw = ws.answer.headers['sec-websocket-extensions'];
      if (raw !== undefined) expect(raw).not.toMatch(/client_max_window_bits/);
      await closeCleanly(ws);
    } finally {
      ws.destroy();
    }
  });

  it('answers with no Sec-WebSocket-Extensions when deflate is off, whatever is offered', async () => {
    const ws = await open(plain.url, 'permessage-deflate; client_max_window_bits; server_no_context_takeover');
    try {
      expect(ws.answer.headers['sec-websocket-extensions']).toBeUndefined();
      await closeCleanly(ws);
    } finally {
      ws.destroy();
    }
  });
});
