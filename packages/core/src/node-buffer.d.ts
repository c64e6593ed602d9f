// Node's Buffer has these fast latin1 methods (no TextDecoder, no intermediate copy), but
// @types/node does not declare them.
declare global {
  interface Buffer {
    latin1Slice(start?: number, end?: number): string;
    latin1Write(text: string, offset?: number, length?: number): number;
    utf8Write(text: string, offset?: number, length?: number): number;
    asciiSlice(start?: number, end?: number): string;
  }
}
export {};
