/**
 * The process's one llhttp instance and the plumbing around it: wasm memory, the input region
 * each chunk is copied into, and the callbacks that route llhttp's calls to the parser whose
 * `execute` is running. `HttpParser` (parser.ts) runs on it; nothing here knows HTTP messages.
 *
 * llhttp calls back with a native pointer only, so the callbacks go to `current`, the parser that
 * entered `execute`/`finish`: one set of module functions for every parser, no closure per parser.
 */
import { instantiate, type LlhttpExports } from './llhttp-module.js';

/** Which llhttp callback delivered a span: a continued span must be of the same kind. */
export const SpanKind = {
  None: 0,
  Url: 1,
  Status: 2,
  Field: 3,
  Value: 4,
} as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** What the callbacks call on the running parser. Return values follow llhttp (0 = go on). */
export interface NativeCallbacks {
  messageBegin(): number;
  span(kind: SpanKind, at: number, length: number): number;
  headersComplete(upgrade: boolean, shouldKeepAlive: boolean): number;
  body(at: number, length: number): number;
  messageComplete(): number;
}

/** The instance's exports; set once, by `init()`. */
export let wasm: LlhttpExports;
let memoryView: Uint8Array;
/**
 * The parser whose execute() (or finish()) is running, null when none is: llhttp calls back
 * into it. Not null also means the shared input region is in use (see copyIn).
 */
let current: NativeCallbacks | null = null;
/** A reusable input region in wasm memory for the chunk being parsed. */
let inputPtr = 0;
let inputSize = 0;

/** Instantiates llhttp on first use (a process that never parses never compiles it). */
export function init(): void {
  if (wasm !== undefined) return;
  wasm = instantiate({
    wasm_on_message_begin: () => current!.messageBegin(),
    wasm_on_url: (_p, at, length) => current!.span(SpanKind.Url, at, length),
    wasm_on_status: (_p, at, length) => current!.span(SpanKind.Status, at, length),
    wasm_on_header_field: (_p, at, length) => current!.span(SpanKind.Field, at, length),
    wasm_on_header_value: (_p, at, length) => current!.span(SpanKind.Value, at, length),
    wasm_on_headers_complete: (_p, _status, upgrade, keepAlive) => current!.headersComplete(upgrade === 1, keepAlive === 1),
    wasm_on_body: (_p, at, length) => current!.body(at, length),
    wasm_on_message_complete: () => current!.messageComplete(),
  });
  memoryView = new Uint8Array(wasm.memory.buffer);
}

export function view(): Uint8Array {
  // Growing wasm memory detaches the old buffer, which then reads as empty.
  if (memoryView.byteLength === 0) memoryView = new Uint8Array(wasm.memory.buffer);
  return memoryView;
}

/** The NUL-terminated latin1 string at `ptr` (llhttp's error names and reasons). */
export function cString(ptr: number): string {
  const bytes = view();
  let end = ptr;
  while (bytes[end] !== 0) end++;
  return Buffer.from(bytes.buffer, ptr, end - ptr).latin1Slice();
}

/**
 * Copies `chunk` into wasm memory for `runExecute` and returns where. The shared region serves
 * every parse but one started from inside another's callback (or a finish's), which gets a
 * region of its own (the outer parse still reads the shared one); `runExecute` frees that one.
 */
export function copyIn(chunk: Buffer): number {
  const length = chunk.length;
  let ptr: number;
  if (current !== null) {
    ptr = wasm.malloc(Math.max(length, 1));
  } else {
    if (length > inputSize) {
      if (inputPtr !== 0) wasm.free(inputPtr);
      inputSize = Math.max(length, 64 * 1024);
      inputPtr = wasm.malloc(inputSize);
    }
    ptr = inputPtr;
  }
  view().set(chunk, ptr);
  return ptr;
}

/** Runs llhttp over the `length` bytes `copyIn` put at `input`; `target`'s callbacks run meanwhile. */
export function runExecute(target: NativeCallbacks, parser: number, input: number, length: number): number {
  const outer = current;
  current = target;
  try {
    return wasm.llhttp_execute(parser, input, length);
  } finally {
    current = outer;
    if (input !== inputPtr) wasm.free(input);
  }
}

/** Tells llhttp the peer closed; a close-delimited message completes through `target`. */
export function runFinish(target: NativeCallbacks, parser: number): number {
  const outer = current;
  current = target;
  try {
    return wasm.llhttp_finish(parser);
  } finally {
    current = outer;
  }
}

// Offsets of llhttp_t fields in wasm32 memory (llhttp 9: after _index, two span slots, error,
// reason, error_pos, data, _current and the 64-bit content_length come type, method,
// http_major, http_minor). Checked once against the getters before they are trusted.
const OFFSET_METHOD = 41;
const OFFSET_HTTP_MAJOR = 42;
const OFFSET_HTTP_MINOR = 43;
let structLayoutKnown = false;
let structLayoutChecked = false;

/** Where `readHead` puts what it reads. */
export interface HeadFields {
  method: number;
  versionMajor: number;
  versionMinor: number;
}

/** The method and version of the head `parser` just read, into `into`. */
export function readHead(parser: number, into: HeadFields): void {
  if (structLayoutKnown) {
    // Read straight out of llhttp_t rather than through three calls.
    const memory = view();
    into.method = memory[parser + OFFSET_METHOD];
    into.versionMajor = memory[parser + OFFSET_HTTP_MAJOR];
    into.versionMinor = memory[parser + OFFSET_HTTP_MINOR];
    return;
  }
  const major = (into.versionMajor = wasm.llhttp_get_http_major(parser));
  const minor = (into.versionMinor = wasm.llhttp_get_http_minor(parser));
  const method = (into.method = wasm.llhttp_get_method(parser));
  if (!structLayoutChecked) {
    structLayoutChecked = true;
    const memory = view();
    structLayoutKnown =
      memory[parser + OFFSET_METHOD] === method &&
      memory[parser + OFFSET_HTTP_MAJOR] === major &&
      memory[parser + OFFSET_HTTP_MINOR] === minor;
  }
}
