/**
 * How an Autobahn-numbered case is judged, as Autobahn|Testsuite's fuzzing client judges it: the
 * case sends its frames; what the server sends back becomes a list of events (message, ping,
 * pong, and the case's own "timeout" marks); the list must equal one of the case's expected
 * lists (OK, or NON-STRICT when the RFC allows it but it is not the best answer). Apart from the
 * events, the close is judged: who started it, whether the handshake was clean, and the code.
 *
 * We answer the server as a client does: pongs for its pings, a close for its close. When the
 * events match and the case expects us to close, we send close 1000 at once.
 *
 * @example
 * const c = new Conversation(ws);
 * c.expect({ OK: [message('Hello', false)] }, { closedByMe: true, codes: [1000], requireClean: true });
 * await c.sendFrame(Op.Text, 'Hello');
 * return c.finish({ after: 1000, action: 'close' });
 */
import { isUtf8 } from 'node:buffer';
import { setImmediate as immediate, setTimeout as delay } from 'node:timers/promises';
import { type Outcome, Verdict } from '../../verdict.js';
import {
  checkServerFrame,
  checkClientFrame,
  closePayload,
  describeFrame,
  encodeFrame,
  Op,
  type RawWebSocket,
  Rsv,
  type ServerFrame,
  show,
} from '../raw-websocket.js';

/** One thing the server did, as Autobahn lists it. */
export type Event =
  | { kind: 'message'; data: Buffer; binary: boolean }
  | { kind: 'ping'; data: Buffer }
  | { kind: 'pong'; data: Buffer }
  | { kind: 'timeout'; tag: string };

const bytes = (data: Buffer | string) => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

/** A message event: text (binary false) or binary. */
export const message = (data: Buffer | string, binary: boolean): Event => ({ kind: 'message', data: bytes(data), binary });
export const pong = (data: Buffer | string): Event => ({ kind: 'pong', data: bytes(data) });
export const timeout = (tag: string): Event => ({ kind: 'timeout', tag });

/** How the connection must end. */
export interface CloseExpectation {
  /** We start the close (true), or the server fails the connection (false). */
  closedByMe: boolean;
  /** Close codes the server may send (an empty close, or none at all, is accepted too, as Autobahn does). */
  codes: readonly number[];
  /** The closing handshake must complete and the server close TCP. */
  requireClean: boolean;
}

export type Expected = Partial<Record<'OK' | 'NON-STRICT', readonly Event[]>>;

/**
 * How long the server gets to answer our close frame, and then to close TCP. Autobahn gives 1 s
 * for each; the kit gives more, so a loaded machine is not taken for an unclean close.
 */
const CLOSE_WAIT = 5_000;
const DROP_WAIT = 2_000;

export class Conversation {
  readonly received: Event[] = [];
  private expected: Expected = {};
  private close: CloseExpectation = { closedByMe: true, codes: [1000], requireClean: true };
  /** Who started closing: us (close frame or drop) or the peer; null while open. */
  private closer: 'me' | 'peer' | null = null;
  private sentClose = false;
  private remoteClose: { code: number | null; reason: Buffer } | null = null;
  private droppedByMe = false;
  /** The kit, as the server, closed TCP after a complete closing handshake. */
  private serverClosedTcp = false;
  /** What the server did that no client accepts (a masked frame, a bad opcode...). */
  private violation: string | null = null;
  private partial: { opcode: number; compressed: boolean; parts: Buffer[] } | null = null;
  /** Frames are handled one after another (inflating is asynchronous). */
  private chain: Promise<void> = Promise.resolve();

  /**
   * `role`: 'client' when the kit is the client (judging a server: our frames masked, the
   * server's not), 'server' when the kit is the server judging a client (the reverse; after the
   * closing handshake the kit closes TCP, as a server does).
   */
  constructor(
    readonly ws: RawWebSocket,
    readonly role: 'client' | 'server' = 'client',
  ) {
    ws.onFrame = () => {
      this.chain = this.chain.then(() => this.drain());
    };
    this.chain = this.chain.then(() => this.drain());
  }

  /** Sets what the case expects. */
  expect(expected: Expected, close: CloseExpectation): void {
    this.expected = expected;
    this.close = close;
  }

  /** Whether our frames are masked (we are the client). */
  get masks(): boolean {
    return this.role === 'client';
  }

  /** Whether the connection is still open for data (no close either way, TCP up). */
  get open(): boolean {
    return !this.sentClose && this.remoteClose === null && !this.ws.ended;
  }

  // -- sending ---------------------------------------------------------------------------------

  /**
   * One frame, written whole, in chops of `chop` bytes, or (`sync`) on its own after a pause,
   * as Autobahn's sendFrame does. `announce` writes another length than the payload's.
   */
  async sendFrame(
    opcode: number,
    payload: Buffer | string = Buffer.alloc(0),
    options: { fin?: boolean; rsv?: number; chop?: number; sync?: boolean; announce?: number } = {},
  ): Promise<void> {
    if (this.ws.ended) return;
    const frame = encodeFrame(opcode, payload, { fin: options.fin, rsv: options.rsv, announce: options.announce, mask: this.masks });
    if (options.sync) await delay(5);
    await this.ws.send(frame, options.chop === undefined ? 'whole' : options.chop === 1 ? 'bytewise' : { chunk: options.chop });
    if (options.sync) await delay(5);
  }

  /** A whole message, compressed when permessage-deflate is agreed, cut in frames of `fragmentSize` payload bytes. */
  async sendMessage(data: Buffer | string, binary: boolean, options: { fragmentSize?: number } = {}): Promise<void> {
    if (this.ws.ended) return;
    let payload = bytes(data);
    const compressed = this.ws.deflate !== null;
    if (compressed) payload = await this.ws.deflate!.compress(payload);
    const size = options.fragmentSize && options.fragmentSize > 0 ? options.fragmentSize : payload.length || 1;
    const frames: Buffer[] = [];
    for (let at = 0; at === 0 || at < payload.length; at += size) {
      const last = at + size >= payload.length;
      frames.push(
        encodeFrame(at === 0 ? (binary ? Op.Binary : Op.Text) : Op.Continuation, payload.subarray(at, at + size), {
          fin: last,
          rsv: at === 0 && compressed ? Rsv.Rsv1 : 0,
          mask: this.masks,
        }),
      );
    }
    await this.ws.send(frames.length === 1 ? frames[0] : Buffer.concat(frames));
  }

  /** Our close frame (starts the closing handshake). */
  async sendClose(code: number | null, reason: Buffer | string = '', options: { rsv?: number; payload?: Buffer } = {}): Promise<void> {
    if (this.ws.ended) return;
    if (this.closer === null) this.closer = 'me';
    this.sentClose = true;
    await this.ws.send(encodeFrame(Op.Close, options.payload ?? closePayload(code, reason), { rsv: options.rsv, mask: this.masks }));
  }

  /**
   * Waits `ms` (Autobahn's continueLater): when the connection is still open after it, a
   * `timeout` event with `tag` is recorded and true returned.
   */
  async pause(ms: number, tag: string): Promise<boolean> {
    await this.ws.settle(() => !this.open, ms);
    await this.chain;
    if (!this.open) return false;
    this.received.push(timeout(tag));
    return true;
  }

  // -- receiving -------------------------------------------------------------------------------

  private async drain(): Promise<void> {
    for (let frame = this.ws.takeFrame(); frame !== undefined; frame = this.ws.takeFrame()) await this.onFrame(frame);
    // Events may have come after an asynchronous inflate: whoever waits on them looks again.
    this.ws.poke();
  }

  private async onFrame(frame: ServerFrame): Promise<void> {
    if (this.violation !== null) return;
    if (this.remoteClose !== null) return this.fail(`the server sent ${describeFrame(frame)} after its close frame`);
    try {
      if (this.role === 'client') checkServerFrame(frame);
      else checkClientFrame(frame);
    } catch (error) {
      return this.fail((error as Error).message);
    }
    switch (frame.opcode) {
      case Op.Ping:
        this.received.push({ kind: 'ping', data: frame.payload });
        if (!this.sentClose) await this.ws.send(encodeFrame(Op.Pong, frame.payload, { mask: this.masks }));
        break;
      case Op.Pong:
        this.received.push(pong(frame.payload));
        break;
      case Op.Close:
        return this.onClose(frame);
      case Op.Text:
      case Op.Binary:
        if (this.partial !== null) return this.fail(`a new message began (${describeFrame(frame)}) inside a fragmented one`);
        if ((frame.rsv & 3) !== 0 || ((frame.rsv & Rsv.Rsv1) !== 0 && this.ws.deflate === null))
          return this.fail(`RSV bits the agreed extensions do not define: ${describeFrame(frame)}`);
        this.partial = { opcode: frame.opcode, compressed: (frame.rsv & Rsv.Rsv1) !== 0, parts: [frame.payload] };
        if (frame.fin) await this.onMessageEnd();
        break;
      case Op.Continuation:
        if (this.partial === null) return this.fail(`a continuation frame with no message to continue: ${describeFrame(frame)}`);
        if (frame.rsv !== 0) return this.fail(`RSV bits on a continuation frame: ${describeFrame(frame)}`);
        this.partial.parts.push(frame.payload);
        if (frame.fin) await this.onMessageEnd();
        break;
    }
    this.finishWhenDone();
  }

  private async onMessageEnd(): Promise<void> {
    const { opcode, compressed, parts } = this.partial!;
    this.partial = null;
    let data = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    if (compressed) {
      try {
        data = await this.ws.deflate!.decompress(data);
      } catch (error) {
        return this.fail(
          `a compressed message from the ${this.role === 'client' ? 'server' : 'client'} does not inflate: ${(error as Error).message}`,
        );
      }
    }
    if (opcode === Op.Text && !isUtf8(data)) return this.fail(`the server sent a text message that is not UTF-8: ${show(data)}`);
    this.received.push(message(data, opcode === Op.Binary));
  }

  private async onClose(frame: ServerFrame): Promise<void> {
    const payload = frame.payload;
    const code = payload.length >= 2 ? payload.readUInt16BE(0) : null;
    this.remoteClose = { code, reason: payload.subarray(2) };
    if (payload.length === 1) return this.fail('the server sent a close frame with a 1-byte payload');
    if (this.closer === null) this.closer = 'peer';
    // Our answer: the close echoed, as a client does.
    if (!this.sentClose) {
      this.sentClose = true;
      await this.ws.send(encodeFrame(Op.Close, code === null ? Buffer.alloc(0) : closePayload(code), { mask: this.masks }));
    }
    this.ws.poke();
  }

  private async fail(why: string): Promise<void> {
    this.violation = why;
    this.ws.note('=', `protocol violation by the server: ${why}`);
    if (this.closer === null) this.closer = 'me';
    if (!this.sentClose) {
      this.sentClose = true;
      await this.ws.send(encodeFrame(Op.Close, closePayload(1002), { mask: this.masks }));
    }
    this.ws.poke();
  }

  /** As Autobahn: once the events equal every expected list and we are to close, we close. */
  private finishWhenDone(): void {
    const lists = Object.values(this.expected);
    if (lists.length === 0 || !lists.every((list) => sameEvents(this.received, list))) return;
    if (this.close.closedByMe && !this.sentClose) void this.sendClose(this.close.codes[0] ?? 1000);
  }

  /**
   * Ends the case: waits up to `after` ms for the connection to end by itself; then closes
   * (`action: 'close'`, Autobahn's closeAfter) or drops it (`'kill'`, killAfter); then judges.
   */
  async finish(options: { after: number; action: 'close' | 'kill' }): Promise<Outcome> {
    await this.chain;
    this.finishWhenDone();
    await this.ws.settle(() => this.sentClose || this.remoteClose !== null, options.after);
    await this.chain;
    if (!this.sentClose && this.remoteClose === null && !this.ws.ended) {
      if (options.action === 'close') await this.sendClose(this.close.codes[0] ?? 1000);
      else this.drop();
    }
    // The closing handshake, then the server closes TCP (the kit, when it is the server).
    await this.ws.settle(() => this.remoteClose !== null || this.ws.ended, CLOSE_WAIT);
    if (this.role === 'server' && this.sentClose && this.remoteClose !== null && !this.ws.ended) {
      this.ws.note('=', 'the kit (the server) closes TCP after the closing handshake');
      this.ws.end();
      this.serverClosedTcp = true;
    }
    await this.ws.settle(() => this.ws.ended, DROP_WAIT);
    await this.chain;
    if (!this.ws.ended && !this.serverClosedTcp) this.drop();
    else if (!this.ws.ended) this.ws.destroy();
    return this.judge();
  }

  private drop(): void {
    this.ws.note('=', 'the kit drops the connection');
    this.droppedByMe = true;
    if (this.closer === null) this.closer = 'me';
    this.ws.destroy();
  }

  private judge(): Outcome {
    let behavior: string = Verdict.Failed;
    let result = this.violation ?? 'Actual events differ from any expected.';
    if (this.violation === null) {
      for (const key of ['OK', 'NON-STRICT'] as const) {
        const list = this.expected[key];
        if (list !== undefined && sameEvents(this.received, list)) {
          behavior = key;
          result = 'Actual events match at least one expected.';
          break;
        }
      }
    }
    // The server closing TCP with no close frame counts as the server closing (Autobahn: "closedByMe" false).
    const closedByMe = this.closer === 'me';
    const wasClean = this.sentClose && this.remoteClose !== null && (!this.droppedByMe || this.serverClosedTcp);
    const code = this.remoteClose?.code ?? null;
    let behaviorClose: string;
    let resultClose: string;
    if (this.close.closedByMe !== closedByMe) {
      behaviorClose = Verdict.Failed;
      resultClose = 'The connection was failed by the wrong endpoint';
    } else if (this.close.requireClean && !wasClean) {
      behaviorClose = 'UNCLEAN';
      resultClose = 'The spec requires the connection to be failed cleanly here';
    } else if (code !== null && !this.close.codes.includes(code)) {
      behaviorClose = 'WRONG CODE';
      resultClose = `The close code should have been ${this.close.codes.join(',')} or empty`;
    } else {
      behaviorClose = Verdict.Ok;
      resultClose = 'Connection was properly closed';
    }
    const events = `expected ${Object.entries(this.expected)
      .map(([k, list]) => `${k} ${describeEvents(list ?? [])}`)
      .join(' or ')}; got ${describeEvents(this.received)}`;
    const peer = this.role === 'client' ? 'server' : 'client';
    const closing = `close: ${resultClose} (${peer} code ${code ?? 'none'}, ${closedByMe ? 'closed by the kit' : `closed by the ${peer}`}, ${wasClean ? 'clean' : 'not clean'})`;
    const verdict: Outcome['verdict'] =
      behavior === Verdict.Failed || behaviorClose !== Verdict.Ok ? Verdict.Failed : (behavior as Outcome['verdict']);
    return { verdict, reason: `${result} ${events}. ${closing}`, behavior, behaviorClose };
  }
}

function sameEvents(a: readonly Event[], b: readonly Event[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((e, i) => {
    const f = b[i];
    if (e.kind !== f.kind) return false;
    if (e.kind === 'timeout') return e.tag === (f as { tag: string }).tag;
    if (e.kind === 'message' && e.binary !== (f as { binary: boolean }).binary) return false;
    return e.data.equals((f as { data: Buffer }).data);
  });
}

/** Events in a line: [message text 13 B, pong 4 B, timeout A]. */
export function describeEvents(events: readonly Event[]): string {
  const shown = events.length > 6 ? [...events.slice(0, 3), ...events.slice(-2)] : events;
  const more = events.length - shown.length;
  return `[${shown
    .map((e) =>
      e.kind === 'timeout'
        ? `timeout ${e.tag}`
        : e.kind === 'message'
          ? `message ${e.binary ? 'binary' : 'text'} ${e.data.length} B ${show(e.data, 12)}`
          : `${e.kind} ${show(e.data, 12)}`,
    )
    .join(', ')}${more > 0 ? ` (${events.length} events; ${more} not shown)` : ''}]`;
}

/** Autobahn's "chopsize 1": a turn between bytes. */
export const nextTurn = immediate;
