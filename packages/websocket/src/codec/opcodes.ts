/**
 * WebSocket frame opcodes (RFC 6455 5.2) and the one table that says which are known and which
 * are control frames. 3-7 and 11-15 are reserved: a frame that carries one fails the connection.
 *
 * @example
 * if (isControlOpcode(opcode)) { ... } // Close, Ping, Pong
 */

export const Opcode = {
  Continuation: 0,
  Text: 1,
  Binary: 2,
  Close: 8,
  Ping: 9,
  Pong: 10,
} as const;
/** One of the opcodes in `Opcode`. */
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** What an opcode is: 0 reserved, 1 a data frame (continuation, text, binary), 2 a control frame. */
export const OpcodeKind = {
  Reserved: 0,
  Data: 1,
  Control: 2,
} as const;
/** One of the kinds in `OpcodeKind`. */
export type OpcodeKind = (typeof OpcodeKind)[keyof typeof OpcodeKind];

// Indexed by the 4-bit opcode.
const KINDS = new Uint8Array([1, 1, 1, 0, 0, 0, 0, 0, 2, 2, 2, 0, 0, 0, 0, 0]);

/** The kind of a 4-bit opcode (see `OpcodeKind`); anything outside 0-15 is Reserved. */
export function opcodeKind(opcode: number): OpcodeKind {
  return opcode >= 0 && opcode <= 15 ? (KINDS[opcode] as OpcodeKind) : OpcodeKind.Reserved;
}

/** Close, Ping and Pong: at most 125 bytes of payload, never fragmented. */
export function isControlOpcode(opcode: number): boolean {
  return opcodeKind(opcode) === OpcodeKind.Control;
}

/** The largest payload a control frame may carry (RFC 6455 5.5). */
export const MAX_CONTROL_PAYLOAD = 125;
