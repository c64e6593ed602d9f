/**
 * Autobahn|Testsuite's fuzzing-client cases for a WebSocket echo server, numbered as Autobahn
 * numbers them (1.1.1 .. 13.7.18) and judged as it judges them (see conversation.ts), written
 * for the kit from the descriptions of its cases. Where the kit departs from Autobahn it says so
 * in the case: groups 12 and 13 send at most about 1 MiB a case unless `full` is set (Autobahn
 * sends 1000 messages whatever their size), and their data are generated (test-data.ts).
 *
 * @example
 * const cases = autobahnCases({ url: 'ws://127.0.0.1:9001/' });
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type Outcome, Verdict } from '../../verdict.js';
import type { CaseHost, ConformanceCase } from '../../run.js';
import type { WebSocketSuiteOptions } from '../context.js';
import { groupName } from '../groups.js';
import { encodeFrame, Op } from '../raw-websocket.js';
import { ACCEPT_AS_OFFERED, type DeflateRequest, describeRequests } from '../deflate-accept.js';
import { type CloseExpectation, Conversation, type Event, message, pong, timeout } from './conversation.js';
import { testData } from './test-data.js';
import { UTF8_SUBGROUPS } from './utf8-sequences.js';

type Script = (c: Conversation) => Promise<Outcome>;

/**
 * What a case needs of its context: a conversation with the peer, the kit as the client (the
 * server suite) or as the server (the client suite), with permessage-deflate offered or not.
 */
export interface ConversationHost extends CaseHost {
  /**
   * A conversation with the peer; `offer` is the permessage-deflate offer the kit makes as the
   * client, `accept` what the kit asks of the client when it is the server (groups 12, 13).
   */
  conversation(offer?: string, accept?: readonly DeflateRequest[]): Promise<Conversation>;
}

const CLEAN: CloseExpectation = { closedByMe: true, codes: [1000], requireClean: true };
const failed = (...codes: number[]): CloseExpectation => ({ closedByMe: false, codes, requireClean: false });

const KOSME = Buffer.from('cebae1bdb9cf83cebcceb5', 'hex');
const EDITED = Buffer.from('edited');
const HELLO = 'Hello, world!';

interface Definition {
  id: string;
  description: string;
  expectation: string;
  script: Script;
  /** permessage-deflate offer (groups 12, 13). */
  offer?: string;
  /** What the kit asks of the client when it plays the server (groups 12, 13). */
  accept?: readonly DeflateRequest[];
  timeoutMs?: number;
}

function define(d: Definition): ConformanceCase<ConversationHost> {
  return {
    id: d.id,
    group: groupName(d.id.split('.')[0]),
    title: d.description,
    expectation: d.expectation,
    timeoutMs: d.timeoutMs ?? 30_000,
    run: async (ctx) => d.script(await ctx.conversation(d.offer, d.accept)),
  };
}

/** A case whose server echoes and is then closed by us, cleanly. */
function echo(id: string, description: string, events: readonly Event[], send: (c: Conversation) => Promise<void>, after = 1_000) {
  return define({
    id,
    description,
    expectation: 'Echoed as sent; clean close with normal code.',
    script: async (c) => {
      c.expect({ OK: events }, CLEAN);
      await send(c);
      return c.finish({ after, action: 'close' });
    },
  });
}

/** A case where the server must fail the connection (close `codes`), having sent `ok` events first (NON-STRICT: `nonStrict`). */
function fail(
  id: string,
  description: string,
  send: (c: Conversation) => Promise<void>,
  options: { ok?: readonly Event[]; nonStrict?: readonly Event[]; codes?: number[]; after?: number } = {},
) {
  return define({
    id,
    description,
    expectation: `The server fails the connection (close ${(options.codes ?? [1002]).join(' or ')}, or drops TCP)${options.ok?.length ? ' after echoing what came before' : ''}.`,
    script: async (c) => {
      c.expect(
        { OK: options.ok ?? [], ...(options.nonStrict ? { 'NON-STRICT': options.nonStrict } : {}) },
        failed(...(options.codes ?? [1002])),
      );
      await send(c);
      return c.finish({ after: options.after ?? 1_000, action: 'kill' });
    },
  });
}

const star = (n: number) => Buffer.alloc(n, 0x2a);
const fe = (n: number) => Buffer.alloc(n, 0xfe);
const repeat = (unit: string, n: number) => Buffer.from(unit.repeat(Math.ceil(n / unit.length)).slice(0, n));

function group1(): ConformanceCase<ConversationHost>[] {
  const lengths = [0, 125, 126, 127, 128, 65535, 65536];
  const out: ConformanceCase<ConversationHost>[] = [];
  for (const [sub, binary] of [
    [1, false],
    [2, true],
  ] as const) {
    const kind = binary ? 'binary' : 'text';
    const payload = binary ? fe : star;
    lengths.forEach((n, i) =>
      out.push(
        echo(`1.${sub}.${i + 1}`, `Send ${kind} message with payload length ${n}.`, [message(payload(n), binary)], (c) =>
          c.sendFrame(binary ? Op.Binary : Op.Text, payload(n)),
        ),
      ),
    );
    out.push(
      echo(
        `1.${sub}.8`,
        `Send ${kind} message message with payload of length 65536. Sent out data in chops of 997 octets.`,
        [message(payload(65536), binary)],
        (c) => c.sendFrame(binary ? Op.Binary : Op.Text, payload(65536), { chop: 997 }),
      ),
    );
  }
  return out;
}

function group2(): ConformanceCase<ConversationHost>[] {
  const bin = Buffer.from([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]);
  const pings = (chop?: number) => async (c: Conversation) => {
    for (let i = 0; i < 10; i++) await c.sendFrame(Op.Ping, `payload-${i}`, { chop });
  };
  const tenPongs = Array.from({ length: 10 }, (_, i) => pong(`payload-${i}`));
  return [
    echo('2.1', 'Send ping without payload.', [pong('')], (c) => c.sendFrame(Op.Ping)),
    echo('2.2', 'Send ping with small text payload.', [pong(HELLO)], (c) => c.sendFrame(Op.Ping, HELLO)),
    echo('2.3', 'Send ping with small binary (non UTF-8) payload.', [pong(bin)], (c) => c.sendFrame(Op.Ping, bin)),
    echo('2.4', 'Send ping with binary payload of 125 octets.', [pong(fe(125))], (c) => c.sendFrame(Op.Ping, fe(125))),
    fail('2.5', 'Send ping with binary payload of 126 octets.', (c) => c.sendFrame(Op.Ping, fe(126))),
    echo('2.6', 'Send ping with binary payload of 125 octets, send in octet-wise chops.', [pong(fe(125))], (c) =>
      c.sendFrame(Op.Ping, fe(125), { chop: 1 }),
    ),
    echo('2.7', 'Send unsolicited pong without payload. Verify nothing is received.', [], (c) => c.sendFrame(Op.Pong)),
    echo('2.8', 'Send unsolicited pong with payload. Verify nothing is received.', [], (c) =>
      c.sendFrame(Op.Pong, 'unsolicited pong payload'),
    ),
    echo(
      '2.9',
      'Send unsolicited pong with payload. Send ping with payload. Verify pong for ping is received.',
      [pong('ping payload')],
      async (c) => {
        await c.sendFrame(Op.Pong, 'unsolicited pong payload');
        await c.sendFrame(Op.Ping, 'ping payload');
      },
    ),
    echo('2.10', 'Send 10 Pings with payload.', tenPongs, pings(), 3_000),
    echo('2.11', 'Send 10 Pings with payload. Send out octets in octet-wise chops.', tenPongs, pings(1), 3_000),
  ];
}

function group3(): ConformanceCase<ConversationHost>[] {
  const thenPing = (rsv: number, how: { sync?: boolean; chop?: number }) => async (c: Conversation) => {
    await c.sendFrame(Op.Text, HELLO, how);
    await c.sendFrame(Op.Text, HELLO, { ...how, rsv });
    await c.sendFrame(Op.Ping, '', how);
  };
  const echoed = { ok: [message(HELLO, false)], nonStrict: [] };
  return [
    fail('3.1', 'Send small text message with RSV = 1.', (c) => c.sendFrame(Op.Text, HELLO, { rsv: 1 })),
    fail('3.2', 'Send small text message, then send again with RSV = 2, then send Ping.', thenPing(2, {}), echoed),
    fail(
      '3.3',
      'Send small text message, then send again with RSV = 3, then send Ping. Octets are sent in frame-wise chops.',
      thenPing(3, { sync: true }),
      echoed,
    ),
    fail(
      '3.4',
      'Send small text message, then send again with RSV = 4, then send Ping. Octets are sent in octet-wise chops.',
      thenPing(4, { chop: 1 }),
      echoed,
    ),
    fail('3.5', 'Send small binary message with RSV = 5.', (c) =>
      c.sendFrame(Op.Binary, Buffer.from([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]), { rsv: 5 }),
    ),
    fail('3.6', 'Send Ping with RSV = 6.', (c) => c.sendFrame(Op.Ping, HELLO, { rsv: 6 })),
    // Sent as a frame, not as our close: the server, not us, must fail the connection.
    fail('3.7', 'Send Close with RSV = 7.', (c) => c.sendFrame(Op.Close, Buffer.from([0x03, 0xe8]), { rsv: 7 })),
  ];
}

function group4(): ConformanceCase<ConversationHost>[] {
  const out: ConformanceCase<ConversationHost>[] = [];
  for (const [sub, opcodes, kind] of [
    [1, [3, 4, 5, 6, 7], 'non-control'],
    [2, [11, 12, 13, 14, 15], 'control'],
  ] as const) {
    opcodes.forEach((opcode, i) => {
      const id = `4.${sub}.${i + 1}`;
      if (i === 0) out.push(fail(id, `Send frame with reserved ${kind} Opcode = ${opcode}.`, (c) => c.sendFrame(opcode)));
      else if (i === 1)
        out.push(
          fail(id, `Send frame with reserved ${kind} Opcode = ${opcode} and non-empty payload.`, (c) =>
            c.sendFrame(opcode, 'reserved opcode payload'),
          ),
        );
      else
        out.push(
          fail(
            id,
            `Send small text message, then send frame with reserved ${kind} Opcode = ${opcode}${i > 2 ? ' and non-empty payload' : ''}, then send Ping.`,
            async (c) => {
              await c.sendFrame(Op.Text, HELLO);
              await c.sendFrame(opcode, i > 2 ? 'reserved opcode payload' : '');
              await c.sendFrame(Op.Ping);
            },
            { ok: [message(HELLO, false)], nonStrict: [] },
          ),
        );
    });
  }
  return out;
}

function group5(): ConformanceCase<ConversationHost>[] {
  const twoFragments = (how: { chop?: number; sync?: boolean }, ping?: string) => async (c: Conversation) => {
    await c.sendFrame(Op.Text, 'fragment1', { fin: false, ...how });
    if (ping !== undefined) await c.sendFrame(Op.Ping, ping, how);
    await c.sendFrame(Op.Continuation, 'fragment2', how);
  };
  const orphan = (fin: boolean, how: { chop?: number; sync?: boolean }) => async (c: Conversation) => {
    await c.sendFrame(Op.Continuation, 'non-continuation payload', { fin, ...how });
    await c.sendFrame(Op.Text, HELLO, how);
  };
  const ways = [
    ['in one chop', {}],
    ['in per-frame chops', { sync: true }],
    ['in octet-wise chops', { chop: 1 }],
  ] as const;
  const fiveWithPings = (sync: boolean) => async (c: Conversation) => {
    await c.sendFrame(Op.Text, 'fragment1', { fin: false, sync });
    await c.sendFrame(Op.Continuation, 'fragment2', { fin: false, sync });
    await c.sendFrame(Op.Ping, 'pongme 1!', { sync });
    await c.sendFrame(Op.Continuation, 'fragment3', { fin: false, sync });
    await delay(1_000);
    await c.sendFrame(Op.Continuation, 'fragment4', { fin: false, sync });
    await c.sendFrame(Op.Ping, 'pongme 2!', { sync });
    await c.sendFrame(Op.Continuation, 'fragment5', { sync });
  };
  const fiveEvents = [pong('pongme 1!'), pong('pongme 2!'), message('fragment1fragment2fragment3fragment4fragment5', false)];
  return [
    fail('5.1', 'Send Ping fragmented into 2 fragments.', async (c) => {
      await c.sendFrame(Op.Ping, 'fragment1', { fin: false });
      await c.sendFrame(Op.Continuation, 'fragment2');
    }),
    fail('5.2', 'Send Pong fragmented into 2 fragments.', async (c) => {
      await c.sendFrame(Op.Pong, 'fragment1', { fin: false });
      await c.sendFrame(Op.Continuation, 'fragment2');
    }),
    ...ways.map(([how, options], i) =>
      echo(
        `5.${3 + i}`,
        `Send text Message fragmented into 2 fragments${i === 0 ? '' : `, ${how}`}.`,
        [message('fragment1fragment2', false)],
        twoFragments(options),
      ),
    ),
    ...ways.map(([how, options], i) =>
      echo(
        `5.${6 + i}`,
        `Send text Message fragmented into 2 fragments, one ping with payload in-between${i === 0 ? '' : `, ${how}`}.`,
        [pong('ping payload'), message('fragment1fragment2', false)],
        twoFragments(options, 'ping payload'),
      ),
    ),
    ...ways.map(([how, options], i) =>
      fail(
        `5.${9 + i}`,
        `Send unfragmented Text Message after Continuation Frame with FIN = true, where there is nothing to continue, sent ${how}.`,
        orphan(true, options),
      ),
    ),
    ...ways.map(([how, options], i) =>
      fail(
        `5.${12 + i}`,
        `Send unfragmented Text Message after Continuation Frame with FIN = false, where there is nothing to continue, sent ${how}.`,
        orphan(false, options),
      ),
    ),
    fail(
      '5.15',
      'Send text Message fragmented into 2 fragments, then Continuation Frame with FIN = false where there is nothing to continue, then unfragmented Text Message, all sent in one chop.',
      async (c) => {
        await c.sendFrame(Op.Text, 'fragment1', { fin: false });
        await c.sendFrame(Op.Continuation, 'fragment2');
        await c.sendFrame(Op.Continuation, 'fragment3', { fin: false });
        await c.sendFrame(Op.Text, 'fragment4');
      },
      { ok: [message('fragment1fragment2', false)], nonStrict: [] },
    ),
    ...[false, true].map((fin, i) =>
      fail(
        `5.${16 + i}`,
        `Repeated 2x: Continuation Frame with FIN = ${fin} (where there is nothing to continue), then text Message fragmented into 2 fragments.`,
        async (c) => {
          for (let k = 0; k < 2; k++) {
            await c.sendFrame(Op.Continuation, 'fragment1', { fin });
            await c.sendFrame(Op.Text, 'fragment2', { fin: false });
            await c.sendFrame(Op.Continuation, 'fragment3');
          }
        },
      ),
    ),
    fail('5.18', 'Send text Message fragmented into 2 fragments, with both frame opcodes set to text, sent in one chop.', async (c) => {
      await c.sendFrame(Op.Text, 'fragment1', { fin: false });
      await c.sendFrame(Op.Text, 'fragment2');
    }),
    echo(
      '5.19',
      'A fragmented text message is sent in multiple frames. After sending the first 2 frames of the text message, a Ping is sent. Then we wait 1s, then we send 2 more text fragments, another Ping and then the final text fragment.',
      fiveEvents,
      fiveWithPings(false),
    ),
    echo('5.20', 'Same as Case 5.19, but send all frames with SYNC = True.', fiveEvents, fiveWithPings(true)),
  ];
}

function group6(): ConformanceCase<ConversationHost>[] {
  const valid = Buffer.from('Hello-µ@ßöäüàá-UTF-8!!');
  const invalid = Buffer.concat([KOSME, Buffer.from('eda080', 'hex'), EDITED]);
  const perOctet = (data: Buffer) => async (c: Conversation) => {
    for (let i = 0; i < data.length; i++)
      await c.sendFrame(i === 0 ? Op.Text : Op.Continuation, data.subarray(i, i + 1), { fin: i === data.length - 1 });
  };
  const failFast = (parts: Buffer[], chops: boolean) => async (c: Conversation) => {
    if (chops) {
      const frame = encodeFrame(Op.Text, Buffer.concat(parts), { mask: c.masks });
      const header = frame.length - Buffer.concat(parts).length;
      const first = header + parts[0].length;
      const second = first + parts[1].length;
      await c.ws.send(frame.subarray(0, first));
      if (!(await c.pause(1_000, 'A'))) return;
      await c.ws.send(frame.subarray(first, second));
      if (!(await c.pause(1_000, 'B'))) return;
      await c.ws.send(frame.subarray(second));
    } else {
      await c.sendFrame(Op.Text, parts[0], { fin: false });
      if (!(await c.pause(1_000, 'A'))) return;
      await c.sendFrame(Op.Continuation, parts[1], { fin: false });
      if (!(await c.pause(1_000, 'B'))) return;
      await c.sendFrame(Op.Continuation, parts[2]);
    }
  };
  const fastParts = [
    [KOSME, Buffer.from('f4908080', 'hex'), EDITED],
    [Buffer.concat([KOSME, Buffer.from('f4', 'hex')]), Buffer.from('90', 'hex'), Buffer.concat([Buffer.from('8080', 'hex'), EDITED])],
  ];
  const out: ConformanceCase<ConversationHost>[] = [
    echo('6.1.1', 'Send text message of length 0.', [message('', false)], (c) => c.sendFrame(Op.Text)),
    echo('6.1.2', 'Send fragmented text message, 3 fragments each of length 0.', [message('', false)], async (c) => {
      await c.sendFrame(Op.Text, '', { fin: false });
      await c.sendFrame(Op.Continuation, '', { fin: false });
      await c.sendFrame(Op.Continuation, '');
    }),
    echo(
      '6.1.3',
      'Send fragmented text message, 3 fragments, first and last of length 0, middle non-empty.',
      [message('middle frame payload', false)],
      async (c) => {
        await c.sendFrame(Op.Text, '', { fin: false });
        await c.sendFrame(Op.Continuation, 'middle frame payload', { fin: false });
        await c.sendFrame(Op.Continuation, '');
      },
    ),
    echo('6.2.1', 'Send a valid UTF-8 text message in one fragment.', [message(valid, false)], (c) => c.sendFrame(Op.Text, valid)),
    echo(
      '6.2.2',
      'Send a valid UTF-8 text message in two fragments, fragmented on UTF-8 code point boundary.',
      [message(valid, false)],
      async (c) => {
        await c.sendFrame(Op.Text, valid.subarray(0, 14), { fin: false });
        await c.sendFrame(Op.Continuation, valid.subarray(14));
      },
    ),
    echo(
      '6.2.3',
      'Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends.',
      [message(valid, false)],
      perOctet(valid),
    ),
    echo(
      '6.2.4',
      'Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends.',
      [message(KOSME, false)],
      perOctet(KOSME),
    ),
    fail('6.3.1', 'Send invalid UTF-8 text message unfragmented.', (c) => c.sendFrame(Op.Text, invalid), { codes: [1007] }),
    fail(
      '6.3.2',
      'Send invalid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends.',
      perOctet(invalid),
      { codes: [1007] },
    ),
  ];
  const fastDescriptions = [
    'Send invalid UTF-8 text message in 3 fragments (frames). First frame payload is valid, then wait, then 2nd frame which contains the payload making the sequence invalid, then wait, then 3rd frame with rest.',
    'Send invalid UTF-8 text message in 3 fragments (frames). First frame payload is valid, then wait, then 2nd frame which contains the payload making the sequence invalid, then wait, then 3rd frame with rest. Note that PART1 and PART3 are invalid UTF-8 in themselves.',
    'Same as Case 6.4.1, but in 1st step, we only send the frame header, then the first part of the payload; the whole message is one frame sent in 3 chops.',
    'Same as Case 6.4.2, but we send the frame in 3 chops.',
  ];
  fastDescriptions.forEach((description, i) =>
    out.push(
      define({
        id: `6.4.${i + 1}`,
        description,
        expectation:
          'The first part is accepted (we time out on the first wait); the second makes the connection fail at once (fail fast on UTF-8): close 1007. NON-STRICT: failed only at the end.',
        script: async (c) => {
          c.expect({ OK: [timeout('A')], 'NON-STRICT': [timeout('A'), timeout('B')] }, failed(1007));
          await failFast(fastParts[i % 2], i >= 2)(c);
          return c.finish({ after: 1_000, action: 'kill' });
        },
      }),
    ),
  );
  UTF8_SUBGROUPS.forEach((subgroup, s) =>
    subgroup.sequences.forEach(({ valid: ok, data }, i) => {
      const id = `6.${5 + s}.${i + 1}`;
      const description = `${subgroup.title}: send a text message with payload which is ${ok ? '' : 'not '}valid UTF-8 in one fragment. Payload: 0x${data.toString('hex')}`;
      out.push(
        ok
          ? echo(id, description, [message(data, false)], (c) => c.sendFrame(Op.Text, data), 500)
          : fail(id, description, (c) => c.sendFrame(Op.Text, data), { codes: [1007], after: 500 }),
      );
    }),
  );
  return out;
}

function group7(): ConformanceCase<ConversationHost>[] {
  const closeCase = (id: string, description: string, send: (c: Conversation) => Promise<void>, events: Event[], close: CloseExpectation) =>
    define({
      id,
      description,
      expectation: close.codes.includes(1000)
        ? 'Clean close with normal code.'
        : `The server answers with close ${close.codes.join(' or ')}.`,
      script: async (c) => {
        c.expect({ OK: events }, close);
        await send(c);
        return c.finish({ after: 1_000, action: 'kill' });
      },
    });
  const informational = (id: string, description: string, send: (c: Conversation) => Promise<void>, events: Event[]) =>
    define({
      id,
      description,
      expectation: 'Implementation defined: INFORMATIONAL.',
      script: async (c) => {
        c.expect({ OK: events }, { closedByMe: true, codes: [1000, 1002], requireClean: false });
        await send(c);
        const outcome = await c.finish({ after: 1_000, action: 'kill' });
        return { ...outcome, verdict: Verdict.Informational, behavior: Verdict.Informational, behaviorClose: Verdict.Informational };
      },
    });
  const notClean = (...codes: number[]): CloseExpectation => ({ closedByMe: true, codes, requireClean: false });
  const validCodes = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
  const invalidCodes = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];
  return [
    closeCase(
      '7.1.1',
      'Send a message followed by a close frame',
      async (c) => {
        await c.sendFrame(Op.Text, 'Hello World!');
        await c.sendClose(1000);
      },
      [message('Hello World!', false)],
      CLEAN,
    ),
    closeCase(
      '7.1.2',
      'Send two close frames',
      async (c) => {
        await c.sendClose(1000);
        await c.sendFrame(Op.Close, Buffer.from([0x03, 0xe8]));
      },
      [],
      CLEAN,
    ),
    closeCase(
      '7.1.3',
      'Send a ping after close message',
      async (c) => {
        await c.sendClose(1000);
        await c.sendFrame(Op.Ping);
      },
      [],
      CLEAN,
    ),
    closeCase(
      '7.1.4',
      'Send text message after sending a close frame',
      async (c) => {
        await c.sendClose(1000);
        await c.sendFrame(Op.Text, 'Hello World!');
      },
      [],
      CLEAN,
    ),
    closeCase(
      '7.1.5',
      'Send message fragment1 followed by close then fragment',
      async (c) => {
        await c.sendFrame(Op.Text, 'fragment1', { fin: false });
        await c.sendClose(1000);
        await c.sendFrame(Op.Continuation, 'fragment2');
      },
      [],
      CLEAN,
    ),
    informational(
      '7.1.6',
      'Send 256K message followed by close then a ping',
      async (c) => {
        await c.sendFrame(Op.Text, repeat('BAsd7&jh23', 256 * 1024));
        await c.sendFrame(Op.Text, 'Hello World!');
        await c.sendClose(1000);
        await c.sendFrame(Op.Ping);
      },
      [message(repeat('BAsd7&jh23', 256 * 1024), false), message('Hello World!', false)],
    ),
    closeCase('7.3.1', 'Send a close frame with payload length 0 (no close code, no close reason)', (c) => c.sendClose(null), [], CLEAN),
    closeCase(
      '7.3.2',
      'Send a close frame with payload length 1',
      (c) => c.sendClose(null, '', { payload: Buffer.from('a') }),
      [],
      notClean(1002),
    ),
    closeCase('7.3.3', 'Send a close frame with payload length 2 (regular close with a code)', (c) => c.sendClose(1000), [], CLEAN),
    closeCase('7.3.4', 'Send a close frame with close code and close reason', (c) => c.sendClose(1000, 'Hello World!'), [], CLEAN),
    closeCase(
      '7.3.5',
      'Send a close frame with close code and close reason of maximum length (123)',
      (c) => c.sendClose(1000, star(123)),
      [],
      CLEAN,
    ),
    closeCase(
      '7.3.6',
      'Send a close frame with close code and close reason which is too long (124) - total frame payload 126 octets',
      (c) => c.sendClose(1000, star(124)),
      [],
      notClean(1002),
    ),
    closeCase(
      '7.5.1',
      'Send a close frame with invalid UTF8 payload',
      (c) => c.sendClose(1000, Buffer.concat([KOSME, Buffer.from('eda080', 'hex'), EDITED])),
      [],
      notClean(1007),
    ),
    ...validCodes.map((code, i) =>
      closeCase(`7.7.${i + 1}`, `Send close with valid close code ${code}`, (c) => c.sendClose(code), [], {
        closedByMe: true,
        codes: [1000, code],
        requireClean: true,
      }),
    ),
    ...invalidCodes.map((code, i) =>
      closeCase(`7.9.${i + 1}`, `Send close with invalid close code ${code}`, (c) => c.sendClose(code), [], notClean(1002)),
    ),
    informational('7.13.1', 'Send close with close code 5000', (c) => c.sendClose(5000), []),
    informational('7.13.2', 'Send close with close code 65536', (c) => c.sendClose(65535), []),
  ];
}

function group9(): ConformanceCase<ConversationHost>[] {
  const KiB = 1024;
  const MiB = 1024 * KiB;
  const out: ConformanceCase<ConversationHost>[] = [];
  const timed = (id: string, description: string, events: Event[], send: (c: Conversation) => Promise<void>) =>
    define({
      id,
      description,
      expectation: "Receive echo'ed message (with payload as sent). Clean close with normal code. The time is reported.",
      timeoutMs: 120_000,
      script: async (c) => {
        c.expect({ OK: events }, CLEAN);
        const started = performance.now();
        await send(c);
        await c.ws.settle(() => c.received.length >= events.length, 100_000);
        const ms = Math.round(performance.now() - started);
        const outcome = await c.finish({ after: 0, action: 'close' });
        return { ...outcome, measured: { ms } };
      },
    });
  const sizes = [64 * KiB, 256 * KiB, MiB, 4 * MiB, 8 * MiB, 16 * MiB];
  const payload = (binary: boolean, n: number) => (binary ? fe(n) : repeat('BAsd7&jh23', n));
  for (const [sub, binary] of [
    [1, false],
    [2, true],
  ] as const)
    sizes.forEach((n, i) =>
      out.push(
        timed(
          `9.${sub}.${i + 1}`,
          `Send ${binary ? 'binary' : 'text'} message message with payload of length ${n}.`,
          [message(payload(binary, n), binary)],
          (c) => c.sendMessage(payload(binary, n), binary),
        ),
      ),
    );
  const fragments = [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB];
  for (const [sub, binary] of [
    [3, false],
    [4, true],
  ] as const)
    fragments.forEach((f, i) =>
      out.push(
        timed(
          `9.${sub}.${i + 1}`,
          `Send fragmented ${binary ? 'binary' : 'text'} message message with message payload of length 4 * 2**20 (4M). Sent out in fragments of ${f}.`,
          [message(payload(binary, 4 * MiB), binary)],
          (c) => c.sendMessage(payload(binary, 4 * MiB), binary, { fragmentSize: f }),
        ),
      ),
    );
  const chops = [64, 128, 256, 512, 1024, 2048];
  for (const [sub, binary] of [
    [5, false],
    [6, true],
  ] as const)
    chops.forEach((chop, i) =>
      out.push(
        timed(
          `9.${sub}.${i + 1}`,
          `Send ${binary ? 'binary' : 'text'} message message with payload of length 1 * 2**20 (1M). Sent out data in chops of ${chop} octets.`,
          [message(payload(binary, MiB), binary)],
          (c) => c.sendFrame(binary ? Op.Binary : Op.Text, payload(binary, MiB), { chop }),
        ),
      ),
    );
  const small = [0, 16, 64, 256, 1024, 4096];
  for (const [sub, binary] of [
    [7, false],
    [8, true],
  ] as const)
    small.forEach((n, i) => {
      const data = payload(binary, n);
      out.push(
        timed(
          `9.${sub}.${i + 1}`,
          `Send 1000 ${binary ? 'binary' : 'text'} messages of payload size ${n} to measure implementation/network RTT (round trip time) / latency.`,
          Array.from({ length: 1000 }, () => message(data, binary)),
          async (c) => {
            for (let k = 0; k < 1000 && c.open; k++) {
              await c.sendMessage(data, binary);
              await c.ws.settle(() => c.received.length > k, 10_000);
            }
          },
        ),
      );
    });
  return out;
}

function group10(): ConformanceCase<ConversationHost>[] {
  const data = star(65536);
  return [
    echo(
      '10.1.1',
      'Send text message with payload of length 65536 auto-fragmented with autoFragmentSize = 1300.',
      [message(data, false)],
      (c) => c.sendMessage(data, false, { fragmentSize: 1300 }),
    ),
  ];
}

/** Autobahn's 18 runs of groups 12 and 13: payload size, messages, fragment size (0: unfragmented). */
const COMPRESSION_RUNS: ReadonlyArray<readonly [number, number]> = [
  [16, 0],
  [64, 0],
  [256, 0],
  [1024, 0],
  [4096, 0],
  [8192, 0],
  [16384, 0],
  [32768, 0],
  [65536, 0],
  [131072, 0],
  [8192, 256],
  [16384, 256],
  [32768, 256],
  [65536, 256],
  [131072, 256],
  [131072, 1024],
  [131072, 4096],
  [131072, 32768],
];

/** Autobahn's client offers of 13.1 .. 13.7 (its default offer adds client_no_context_takeover and client_max_window_bits). */
const BASE_OFFER = 'permessage-deflate; client_no_context_takeover; client_max_window_bits';
/** Autobahn's server accepts of 13.1 .. 13.7 (the kit as the server, playing a client): (requestNoContextTakeover, requestMaxWindowBits). */
const request = (noContextTakeover: boolean, maxWindowBits: number): DeflateRequest => ({ noContextTakeover, maxWindowBits });
const COMPRESSION_ACCEPTS: ReadonlyArray<readonly DeflateRequest[]> = [
  ACCEPT_AS_OFFERED,
  [request(true, 0)],
  [request(false, 8)],
  [request(false, 15)],
  [request(true, 8)],
  [request(true, 15)],
  [request(true, 8), request(true, 0), request(false, 0)],
];
const COMPRESSION_OFFERS = [
  BASE_OFFER,
  `${BASE_OFFER}; server_no_context_takeover`,
  `${BASE_OFFER}; server_max_window_bits=8`,
  `${BASE_OFFER}; server_max_window_bits=15`,
  `${BASE_OFFER}; server_no_context_takeover; server_max_window_bits=8`,
  `${BASE_OFFER}; server_no_context_takeover; server_max_window_bits=15`,
  `${BASE_OFFER}; server_no_context_takeover; server_max_window_bits=8, ${BASE_OFFER}; server_no_context_takeover, ${BASE_OFFER}`,
];

function compression(
  id: string,
  offer: string,
  accept: readonly DeflateRequest[],
  dataIndex: number,
  size: number,
  fragmentSize: number,
  full: boolean,
): ConformanceCase<ConversationHost> {
  // Autobahn sends 1000 messages whatever their size; unless told to, the kit stops near 1 MiB.
  const count = full ? 1000 : Math.min(1000, Math.max(10, Math.floor((1 << 20) / size)));
  return define({
    id,
    description: `Send ${count} compressed messages each of payload size ${size}, auto-fragment to ${fragmentSize} octets. Offer: ${offer} (as the server, the kit accepts asking ${describeRequests(accept)})`,
    expectation:
      "Receive echo'ed messages (with payload as sent). UNIMPLEMENTED when permessage-deflate is declined (by a server) or not offered as the case asks (by a client).",
    offer,
    accept,
    timeoutMs: 120_000,
    script: async (c) => {
      if (c.ws.deflate === null) {
        c.expect({ OK: [] }, CLEAN);
        const outcome = await c.finish({ after: 0, action: 'close' });
        const why =
          c.role === 'client'
            ? `permessage-deflate was declined (offered "${offer}")`
            : `the client offered no permessage-deflate the kit could accept asking ${describeRequests(accept)} (Autobahn's (requestNoContextTakeover, requestMaxWindowBits); its offer: ${JSON.stringify(c.ws.offered ?? 'none')})`;
        return { ...outcome, verdict: Verdict.Unimplemented, behavior: Verdict.Unimplemented, reason: `${why}. ${outcome.reason}` };
      }
      const set = testData()[dataIndex];
      let at = 0;
      const started = performance.now();
      for (let k = 0; k < count; k++) {
        const end = at + size;
        const msg =
          end <= set.data.length
            ? set.data.subarray(at, end)
            : Buffer.concat([set.data.subarray(at), set.data.subarray(0, end - set.data.length)]);
        at = end % set.data.length;
        await c.sendMessage(msg, set.binary, { fragmentSize });
        await c.ws.settle(() => c.received.length > k, 20_000);
        const got = c.received[k];
        if (got === undefined || got.kind !== 'message' || got.binary !== set.binary || !got.data.equals(msg)) {
          c.expect({ OK: [...c.received.slice(0, k), message(msg, set.binary)] }, CLEAN);
          const outcome = await c.finish({ after: 0, action: 'close' });
          return {
            ...outcome,
            verdict: Verdict.Failed,
            behavior: Verdict.Failed,
            reason: `message ${k + 1} of ${count} was not echoed as sent. ${outcome.reason}`,
          };
        }
      }
      const ms = Math.round(performance.now() - started);
      c.expect({ OK: [...c.received] }, CLEAN);
      const outcome = await c.finish({ after: 0, action: 'close' });
      return { ...outcome, reason: `Ok, received all echo'ed messages in time (${ms} ms). ${outcome.reason}`, measured: { ms } };
    },
  });
}

function group12and13(options: WebSocketSuiteOptions): ConformanceCase<ConversationHost>[] {
  const out: ConformanceCase<ConversationHost>[] = [];
  for (let d = 0; d < 5; d++)
    COMPRESSION_RUNS.forEach(([size, fragment], i) =>
      out.push(
        compression(
          `12.${d + 1}.${i + 1}`,
          'permessage-deflate; client_no_context_takeover; client_max_window_bits',
          ACCEPT_AS_OFFERED,
          d,
          size,
          fragment,
          options.full === true,
        ),
      ),
    );
  COMPRESSION_OFFERS.forEach((offer, o) =>
    COMPRESSION_RUNS.forEach(([size, fragment], i) =>
      out.push(compression(`13.${o + 1}.${i + 1}`, offer, COMPRESSION_ACCEPTS[o], 0, size, fragment, options.full === true)),
    ),
  );
  return out;
}

/**
 * Autobahn's cases for a WebSocket echo server, in Autobahn's order.
 *
 * @example
 * const cases = autobahnCases({ url: 'ws://127.0.0.1:9001/' }).filter((c) => c.id.startsWith('6.'));
 */
export function autobahnCases(options: WebSocketSuiteOptions): ConformanceCase<ConversationHost>[] {
  return [
    ...group1(),
    ...group2(),
    ...group3(),
    ...group4(),
    ...group5(),
    ...group6(),
    ...group7(),
    ...group9(),
    ...group10(),
    ...group12and13(options),
  ];
}
