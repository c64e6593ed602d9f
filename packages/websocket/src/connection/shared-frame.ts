/**
 * The frame of the last small text message a server channel sent without compression, kept so
 * that the same text sent to many channels in a row (a hub delivering one message to 10,000
 * subscribed WebSockets) is framed once and the same bytes written to each, as `broadcast` does.
 */
import { encodeFrame } from '../codec/frame-writer.js';
import { Opcode } from '../codec/opcodes.js';

/** Larger texts are framed per send: keeping them would hold their memory, and encodeFrame avoids copying them. */
const MAX_SHARED = 16 * 1024;

// Shared by every server channel, and safe to keep across awaits and callbacks: it is a cache,
// not scratch. A frame is never changed once made (sockets write it as it is, masking is a
// client's and copies), and the text it was made from is compared whole before it is reused.
let lastText: string | null = null;
let lastFrame: Buffer | null = null;

/** An unmasked, uncompressed text frame of `text`: the one made last time when the text is the same. */
export function sharedTextFrame(text: string): Buffer | null {
  if (text === lastText) return lastFrame;
  if (text.length > MAX_SHARED) return null;
  const framed = encodeFrame(Opcode.Text, Buffer.from(text, 'utf8'), true, false, null);
  if (!Buffer.isBuffer(framed)) return null;
  lastText = text;
  lastFrame = framed;
  return framed;
}
