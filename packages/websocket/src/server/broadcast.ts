/**
 * One message to many WebSocket channels, framed once: the same bytes are written to every
 * socket (no copy per channel). Channels with permessage-deflate get the message through their
 * own compressor (its context differs per connection). Closed channels, channels that are not
 * WebSockets, and channels that would refuse the message (larger than their maxBufferedAmount) or
 * already have more than that waiting (a peer that does not read) are skipped and reported.
 *
 * @example
 * const { sent, skipped } = broadcast(room, JSON.stringify({ from, text }));
 */
import type { Channel } from '@http-kit/http1';
import { encodeFrame } from '../codec/frame-writer.js';
import { Opcode } from '../codec/opcodes.js';
import { WebSocketChannel } from '../connection/websocket-channel.js';

export type SkipReason = 'closed' | 'not-websocket' | 'too-slow';

export interface BroadcastResult {
  /** Channels the message was written (or queued) to. */
  sent: number;
  skipped: Array<{ channel: Channel; reason: SkipReason }>;
}

export function broadcast(channels: Iterable<Channel>, message: string | Uint8Array): BroadcastResult {
  const text = typeof message === 'string';
  const payload = text ? Buffer.from(message, 'utf8') : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  let frame: Buffer | null = null;
  const result: BroadcastResult = { sent: 0, skipped: [] };
  for (const channel of channels) {
    if (!(channel instanceof WebSocketChannel)) {
      result.skipped.push({ channel, reason: channel.isOpen ? 'not-websocket' : 'closed' });
      continue;
    }
    if (!channel.isOpen) {
      result.skipped.push({ channel, reason: 'closed' });
      continue;
    }
    if (channel.compresses) {
      if (channel.wouldOverflow(payload.length)) result.skipped.push({ channel, reason: 'too-slow' });
      else if (channel.send(text ? (message as string) : payload) || channel.isOpen) result.sent++;
      continue;
    }
    if (frame === null) {
      const framed = encodeFrame(text ? Opcode.Text : Opcode.Binary, payload, true, false, null);
      frame = Buffer.isBuffer(framed) ? framed : Buffer.concat(framed);
    }
    if (channel.wouldOverflow(frame.length)) {
      result.skipped.push({ channel, reason: 'too-slow' });
      continue;
    }
    channel.writeFramed(frame);
    result.sent++;
  }
  return result;
}
