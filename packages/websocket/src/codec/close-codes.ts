/**
 * Close status codes (RFC 6455 7.4 and the IANA "WebSocket Close Code Number" registry), and the
 * table of those that may appear in a close frame on the wire.
 *
 * @example
 * if (!isValidCloseCode(code)) fail(CloseCode.ProtocolError);
 */

export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Never on the wire: what a close frame without a code reports. */
  NoStatus: 1005,
  /** Never on the wire: the connection ended without a close frame. */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
} as const;
/** One of the close codes named in `CloseCode` (a channel may also see others a peer sent). */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

// 1000-1015, by code - 1000: 1004 is reserved, 1005, 1006 and 1015 are never sent; 1012-1014
// (Service Restart, Try Again Later, Bad Gateway) are registered with IANA.
const REGISTERED = new Uint8Array([1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0]);

/**
 * Whether a close frame may carry `code`: 1000-1003, 1007-1014, and 3000-4999 (registered
 * libraries and frameworks, private use).
 *
 * @example
 * isValidCloseCode(1000); // true
 * isValidCloseCode(1005); // false: only reported locally
 */
export function isValidCloseCode(code: number): boolean {
  if (code >= 1000 && code <= 1015) return REGISTERED[code - 1000] === 1;
  return Number.isInteger(code) && code >= 3000 && code <= 4999;
}
