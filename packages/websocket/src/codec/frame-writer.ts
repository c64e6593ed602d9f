/**
 * Frames as bytes (RFC 6455 5.2), with no socket: the header of a frame, a whole frame, a close
 * frame. A server sends unmasked frames (`mask` null); a client masks each with a fresh key
 * (`randomMask()`), and the payload is then copied, so the caller's buffer is never changed.
 *
 * @example
 * socket.write(encodeFrame(Opcode.Text, Buffer.from('hi'), true, false, null)); // server to client
 * const frame = encodeFrame(Opcode.Binary, data, true, false, randomMask());    // client to server
 * socket.write(encodeClose(CloseCode.Normal, 'bye', null));
 */
import { describe, InvalidArgumentError } from '@http-kit/core';
import { isValidCloseCode } from './close-codes.js';
import { applyMask } from './mask.js';
import { MAX_CONTROL_PAYLOAD, Opcode, OpcodeKind, opcodeKind } from './opcodes.js';

/** Unmasked payloads up to this size are copied behind their header (one write); larger ones are not. */
const MERGE_LIMIT = 1024;

/** The largest reason a close frame can carry: 125 bytes of payload minus the 2-byte code. */
export const MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2;

/** Bytes in the header of a frame with `payloadLength` bytes of payload. */
export function headerLength(payloadLength: number, masked: boolean): number {
  return (payloadLength < 126 ? 2 : payloadLength < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * The header of one frame: FIN, RSV1 (permessage-deflate's "compressed" bit), the opcode, the
 * length in its shortest form and, when given, the 4-byte masking key. Throws
 * `InvalidArgumentError` for an unknown opcode, a control frame over 125 bytes or not final, RSV1
 * on a control or continuation frame, or a mask that is not 4 bytes.
 *
 * @example
 * frameHeader(Opcode.Text, 5, true, false, null); // <81 05>
 */
export function frameHeader(opcode: number, payloadLength: number, fin: boolean, rsv1: boolean, mask: Buffer | null): Buffer {
  checkFrame(opcode, payloadLength, fin, rsv1, mask);
  const header = Buffer.allocUnsafe(headerLength(payloadLength, mask !== null));
  writeHeader(header, opcode, payloadLength, fin, rsv1, mask);
  return header;
}

/**
 * A whole frame, ready to write. Masked frames and small ones are one Buffer (header and payload,
 * masked when `mask`); a large unmasked payload comes back as [header, payload], not copied.
 *
 * @example
 * encodeFrame(Opcode.Ping, Buffer.alloc(0), true, false, null); // <89 00>
 */
export function encodeFrame(opcode: number, payload: Buffer, fin: boolean, rsv1: boolean, mask: Buffer | null): Buffer | [Buffer, Buffer] {
  const length = payload.length;
  checkFrame(opcode, length, fin, rsv1, mask);
  const headerBytes = headerLength(length, mask !== null);
  if (mask === null && length > MERGE_LIMIT) {
    const header = Buffer.allocUnsafe(headerBytes);
    writeHeader(header, opcode, length, fin, rsv1, null);
    return [header, payload];
  }
  const frame = Buffer.allocUnsafe(headerBytes + length);
  writeHeader(frame, opcode, length, fin, rsv1, mask);
  payload.copy(frame, headerBytes);
  if (mask !== null && length > 0) applyMask(frame.subarray(headerBytes), mask);
  return frame;
}

/**
 * A close frame with `code` and `reason`. `code` must be one a close frame may carry
 * (`isValidCloseCode`), or 1005 (NoStatus) with an empty reason for a close frame with no body;
 * `reason` at most 123 bytes of UTF-8. Throws `InvalidArgumentError` otherwise.
 *
 * @example
 * encodeClose(1000, '', null);               // <88 02 03 e8>
 * encodeClose(CloseCode.NoStatus, '', null); // <88 00>
 */
export function encodeClose(code: number, reason: string, mask: Buffer | null): Buffer {
  if (typeof reason !== 'string') throw new InvalidArgumentError(`encodeClose: the reason must be a string, got ${describe(reason)}`);
  if (code === 1005 && reason === '') return encodeFrame(Opcode.Close, EMPTY_PAYLOAD, true, false, mask) as Buffer;
  if (!isValidCloseCode(code)) {
    throw new InvalidArgumentError(`encodeClose: ${describe(code)} is not a close code that may be sent (1000-1003, 1007-1014, 3000-4999)`);
  }
  const reasonBytes = Buffer.byteLength(reason);
  if (reasonBytes > MAX_CLOSE_REASON) {
    throw new InvalidArgumentError(
      `encodeClose: the reason is ${reasonBytes} bytes of UTF-8, at most ${MAX_CLOSE_REASON} fit in a close frame`,
    );
  }
  const payload = Buffer.allocUnsafe(2 + reasonBytes);
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2, 'utf8');
  return encodeFrame(Opcode.Close, payload, true, false, mask) as Buffer;
}

const EMPTY_PAYLOAD = Buffer.alloc(0);

function checkFrame(opcode: number, length: number, fin: boolean, rsv1: boolean, mask: Buffer | null): void {
  const kind = opcodeKind(opcode);
  if (kind === OpcodeKind.Reserved) throw new InvalidArgumentError(`WebSocket frame: unknown opcode ${describe(opcode)}`);
  // RSV1 marks the first frame of a compressed message (RFC 7692 6), and nothing else.
  if (rsv1 && (kind === OpcodeKind.Control || opcode === Opcode.Continuation)) {
    throw new InvalidArgumentError(
      `WebSocket frame: RSV1 (compressed) belongs on the first frame of a data message, not on opcode ${opcode}`,
    );
  }
  if (kind === OpcodeKind.Control && (length > MAX_CONTROL_PAYLOAD || !fin)) {
    throw new InvalidArgumentError(
      `WebSocket frame: a control frame (opcode ${opcode}) must be final and carry at most ${MAX_CONTROL_PAYLOAD} bytes, got ${length} bytes, fin ${fin}`,
    );
  }
  if (!Number.isSafeInteger(length) || length < 0)
    throw new InvalidArgumentError(`WebSocket frame: bad payload length ${describe(length)}`);
  if (mask !== null && mask.length !== 4) throw new InvalidArgumentError(`WebSocket frame: the mask must be 4 bytes, got ${mask.length}`);
}

function writeHeader(target: Buffer, opcode: number, length: number, fin: boolean, rsv1: boolean, mask: Buffer | null): void {
  target[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = mask !== null ? 0x80 : 0;
  let offset: number;
  if (length < 126) {
    target[1] = maskBit | length;
    offset = 2;
  } else if (length < 0x10000) {
    target[1] = maskBit | 126;
    target[2] = length >>> 8;
    target[3] = length & 0xff;
    offset = 4;
  } else {
    target[1] = maskBit | 127;
    target.writeUInt32BE(Math.floor(length / 0x100000000), 2);
    target.writeUInt32BE(length >>> 0, 6);
    offset = 10;
  }
  if (mask !== null) {
    target[offset] = mask[0];
    target[offset + 1] = mask[1];
    target[offset + 2] = mask[2];
    target[offset + 3] = mask[3];
  }
}
