#!/usr/bin/env node
// The cost of reading a 64 KiB text message through the WebSocket FrameReader, UTF-8 validation
// included, in ns per payload byte: ASCII and mixed UTF-8 (1- to 4-byte sequences), the frame
//   whole     in one chunk (the common path: one native isUtf8 over the payload)
//   1448 B    cut in TCP-segment sized chunks (each piece validated as it arrives)
//   16 KiB    cut in 16 KiB chunks
//   4 frags   as 4 fragments (continuation frames), in one chunk
// Client side (unmasked frames) measures reading alone; server side (masked) includes unmasking
// and the copy that restores the masked bytes before each run.
//
// Usage: node bench/ws-utf8-bench.mjs [--smoke] [--compare <path to another built @http-kit/websocket index.js>]
//   --compare  also measures another build, e.g. one made by `node scripts/build.mjs --no-types
//              --out <dir>` from an earlier commit (then <dir>/websocket/dist/index.js): each cell
//              is then "that -> this", the two measured in turns in the same process.
// Figures are medians of 9 rounds (3 with --smoke); build first: node scripts/build.mjs --no-types
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const smoke = process.argv.includes('--smoke');
const compareAt = process.argv.indexOf('--compare');
const other = compareAt === -1 ? null : pathToFileURL(resolve(process.argv[compareAt + 1])).href;
const { FrameReader } = await import('@http-kit/websocket');
const Baseline = other === null ? null : (await import(other)).FrameReader;
const ROUNDS = smoke ? 3 : 9;
const SIZE = 64 * 1024;

/** 64 KiB of text: ASCII, or a mix whose sequences cross every chunk boundary somewhere. */
function text(kind) {
  if (kind === 'ascii') return Buffer.alloc(SIZE, 'The quick brown fox jumps over the lazy dog. ');
  const unit = Buffer.from('abc é ü € 中文 𝄞 😀 κόσμε ', 'utf8');
  const out = Buffer.alloc(SIZE);
  let n = 0;
  while (n + unit.length <= SIZE) n += unit.copy(out, n);
  out.fill(0x20, n); // ASCII padding to a whole 64 KiB
  return out;
}

function header(opcode, fin, length, masked) {
  const b0 = (fin ? 0x80 : 0) | opcode;
  const m = masked ? 0x80 : 0;
  if (length < 126) return Buffer.from([b0, m | length]);
  if (length < 65536) return Buffer.from([b0, m | 126, length >> 8, length & 255]);
  const h = Buffer.alloc(10);
  h[0] = b0;
  h[1] = m | 127;
  h.writeUInt32BE(length, 6);
  return h;
}

const KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

function frame(opcode, fin, payload, masked) {
  if (!masked) return Buffer.concat([header(opcode, fin, payload.length, false), payload]);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= KEY[i & 3];
  return Buffer.concat([header(opcode, fin, payload.length, true), KEY, body]);
}

/** The wire bytes of one message in `fragments` frames. */
function wire(payload, fragments, masked) {
  const step = Math.ceil(payload.length / fragments);
  const frames = [];
  for (let i = 0; i < fragments; i++) {
    const part = payload.subarray(i * step, Math.min(payload.length, (i + 1) * step));
    frames.push(frame(i === 0 ? 1 : 0, i === fragments - 1, part, masked));
  }
  return Buffer.concat(frames);
}

function measure(Reader, payload, { fragments, chunk, masked }) {
  const template = wire(payload, fragments, masked);
  const bytes = Buffer.from(template);
  let received = 0;
  const events = {
    onMessage: (data) => {
      received += data.length;
    },
    onPing() {},
    onPong() {},
    onCloseFrame() {},
    onProtocolError: (code, reason) => {
      throw new Error(`unexpected ${code} ${reason}`);
    },
    onResume() {},
  };
  const reader = new Reader(events, { expectMasked: masked, maxMessageSize: 1 << 24, deflate: null });
  const once = () => {
    if (masked) template.copy(bytes); // unmasking is in place
    for (let at = 0; at < bytes.length; at += chunk) reader.push(bytes.subarray(at, Math.min(bytes.length, at + chunk)));
  };
  // Enough runs for about 20 ms a round.
  for (let i = 0; i < 50; i++) once();
  let runs = 1;
  for (;;) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) once();
    if (Number(process.hrtime.bigint() - t) > 2e7) break;
    runs *= 2;
  }
  /** One round: ns per payload byte. */
  return () => {
    received = 0;
    const t = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) once();
    const ns = Number(process.hrtime.bigint() - t);
    if (received !== runs * payload.length) throw new Error(`received ${received} bytes, expected ${runs * payload.length}`);
    return ns / (runs * payload.length);
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** This build's figure for a cell, and the other build's when comparing: their rounds taken in turns. */
function cell(payload, shape) {
  const ours = measure(FrameReader, payload, shape);
  const theirs = Baseline === null ? null : measure(Baseline, payload, shape);
  const a = [];
  const b = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (theirs !== null) b.push(theirs());
    a.push(ours());
  }
  return theirs === null ? median(a).toFixed(3) : `${median(b).toFixed(3)}->${median(a).toFixed(3)}`;
}

const shapes = [
  ['whole', { fragments: 1, chunk: Infinity }],
  ['1448 B', { fragments: 1, chunk: 1448 }],
  ['16 KiB', { fragments: 1, chunk: 16 * 1024 }],
  ['4 frags', { fragments: 4, chunk: Infinity }],
];
const width = other === null ? 9 : 14;
const pad = (s, i) => s.padEnd(i < 2 ? 8 : width);
console.log(
  `ws-utf8-bench${smoke ? ' (smoke)' : ''}: ns per payload byte, median of ${ROUNDS} rounds${other === null ? '' : `; ${other} -> this build`}`,
);
console.log(['side', 'text', ...shapes.map(([name]) => name)].map(pad).join(''));
for (const masked of [false, true]) {
  for (const kind of ['ascii', 'mixed']) {
    const payload = text(kind);
    const row = shapes.map(([, shape]) => cell(payload, { ...shape, masked }));
    console.log([masked ? 'server' : 'client', kind, ...row].map(pad).join(''));
  }
}
