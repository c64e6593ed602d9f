/**
 * Loads llhttp's WebAssembly build from the pinned `llhttp-wasm` package and instantiates it
 * once per process. Only the wasm bytes and the constants are taken from the package: its own
 * JS `Parser` wrapper mishandles headers split across reads, so `parser.ts` binds the module's
 * raw exports itself.
 *
 * The published build carries both inside itself (scripts/build.mjs bundles the constants and
 * puts the wasm bytes in `__LLHTTP_WASM_BASE64__`), so @http-kit/http1 has no runtime
 * dependency: llhttp-wasm's peer dependency on TypeScript never reaches a user's install. Run
 * from source (tests), the bytes are read from the installed package.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { ERROR as LLHTTP_ERROR, METHODS as LLHTTP_METHODS, TYPE as LLHTTP_TYPE } from 'llhttp-wasm/out/constants.js';
import { ParserLoadError } from '../errors.js';

/** The wasm module as base64, put here by the build; undefined when run from source. */
declare const __LLHTTP_WASM_BASE64__: string | undefined;

// The few WebAssembly APIs used here (the ES2022 lib has no WebAssembly declarations).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The package version whose file layout this loader knows. */
export const LLHTTP_WASM_VERSION = '1.0.3';

export interface LlhttpExports {
  memory: WasmMemory;
  _initialize(): void;
  malloc(size: number): number;
  free(ptr: number): void;
  llhttp_alloc(type: number): number;
  llhttp_free(parser: number): void;
  llhttp_reset(parser: number): void;
  llhttp_execute(parser: number, data: number, length: number): number;
  llhttp_finish(parser: number): number;
  llhttp_resume(parser: number): void;
  llhttp_resume_after_upgrade(parser: number): void;
  llhttp_get_error_pos(parser: number): number;
  llhttp_get_error_reason(parser: number): number;
  llhttp_errno_name(errno: number): number;
  llhttp_get_http_major(parser: number): number;
  llhttp_get_http_minor(parser: number): number;
  llhttp_get_method(parser: number): number;
  llhttp_get_status_code(parser: number): number;
  llhttp_get_upgrade(parser: number): number;
  llhttp_should_keep_alive(parser: number): number;
  llhttp_message_needs_eof(parser: number): number;
}

/** The callbacks the wasm module calls, each with the native parser's pointer first. */
export interface LlhttpImports {
  wasm_on_message_begin(p: number): number;
  wasm_on_url(p: number, at: number, length: number): number;
  wasm_on_status(p: number, at: number, length: number): number;
  wasm_on_header_field(p: number, at: number, length: number): number;
  wasm_on_header_value(p: number, at: number, length: number): number;
  wasm_on_headers_complete(p: number, statusCode: number, upgrade: number, shouldKeepAlive: number): number;
  wasm_on_body(p: number, at: number, length: number): number;
  wasm_on_message_complete(p: number): number;
}

interface LlhttpConstants {
  ERROR: Record<string, number>;
  TYPE: Record<string, number>;
  METHODS: Record<string, number>;
}

/** The wasm bytes: bundled by the build, else read from the installed package. */
function loadWasmBytes(): Buffer {
  if (typeof __LLHTTP_WASM_BASE64__ === 'string') return Buffer.from(__LLHTTP_WASM_BASE64__, 'base64');
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('llhttp-wasm');
  } catch (error) {
    throw new ParserLoadError(`@http-kit/http1: cannot find the llhttp-wasm package (npm install llhttp-wasm@${LLHTTP_WASM_VERSION})`, {
      cause: error,
    });
  }
  const match = WASM_BASE64.exec(readFileSync(entry, 'latin1'));
  if (match === null) {
    throw new ParserLoadError(
      `@http-kit/http1: ${entry} holds no embedded llhttp wasm module; llhttp-wasm@${LLHTTP_WASM_VERSION} is the version this binding knows`,
    );
  }
  return Buffer.from(match[1], 'base64');
}

/** Where llhttp-wasm's entry file holds the module (scripts/build.mjs reads it the same way). */
const WASM_BASE64 = /binaryString\s*=\s*"([A-Za-z0-9+/=]+)"/;

export const constants: LlhttpConstants = { ERROR: LLHTTP_ERROR, TYPE: LLHTTP_TYPE, METHODS: LLHTTP_METHODS };
export const ERROR = constants.ERROR;
export const TYPE_REQUEST = constants.TYPE.REQUEST;
export const TYPE_RESPONSE = constants.TYPE.RESPONSE;

/** llhttp's method number for HEAD (a response to it has no body). */
export const METHOD_HEAD: number = constants.METHODS.HEAD;

/** Lower-case method names indexed by llhttp's method number (Ring's `requestMethod`). */
export const METHOD_NAMES: string[] = [];
/** Upper-case method names indexed the same way. */
export const METHOD_NAMES_UPPER: string[] = [];
for (const [name, code] of Object.entries(constants.METHODS)) {
  METHOD_NAMES[code] = name.toLowerCase();
  METHOD_NAMES_UPPER[code] = name;
}

/** Instantiates the module with the given callbacks. Called once, by `llhttp-instance.ts`. */
export function instantiate(imports: LlhttpImports): LlhttpExports {
  let module: object;
  try {
    module = new WebAssembly.Module(loadWasmBytes());
  } catch (error) {
    throw new ParserLoadError('@http-kit/http1: the llhttp wasm module could not be compiled', { cause: error });
  }
  const instance = new WebAssembly.Instance(module, { env: imports as unknown as Record<string, unknown> });
  const exports = instance.exports as unknown as LlhttpExports;
  exports._initialize();
  return exports;
}
