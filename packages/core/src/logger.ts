/**
 * The logger interface, as http-kit has it: an `errorLogger` for failures the server handled
 * (a throwing handler, a broken peer) and a `warnLogger` for misuse (a second respond()).
 *
 * @example
 * runServer(handler, { errorLogger: (msg, err) => myLog.error(msg, err) });
 */
export type ErrorLogger = (message: string, error?: unknown) => void;
export type WarnLogger = (message: string) => void;

export const defaultErrorLogger: ErrorLogger = (message, error) => {
  if (error instanceof Error) console.error(`[http-kit] ${message}\n${formatError(error)}`);
  else if (error === undefined) console.error(`[http-kit] ${message}`);
  else console.error(`[http-kit] ${message}`, error);
};

// Frames from these packages' own files (sources in the workspace, dist when installed): the
// folder holding the packages, two levels above this module in both layouts.
const packagesRoot = new URL('../../', import.meta.url);
const libraryFrame = new RegExp(
  `(?:${escapeRegExp(packagesRoot.href)}|${escapeRegExp(decodeURIComponent(packagesRoot.pathname))})(?:core|http1|websocket|client|middleware)/(?:src|dist)/`,
);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A frame of the library, of Node's own modules, or of the WebAssembly parser: not the program's. */
function isInternalFrame(line: string): boolean {
  return line.includes('wasm://') || line.includes('(node:') || line.includes('at node:') || libraryFrame.test(line);
}

/**
 * An error as the default errorLogger prints it: its first line (with its `code`), then the
 * program's own frames first, the frames inside http-kit, Node and the wasm parser counted
 * rather than shown (the one at the top is kept when the program has none), then its cause.
 *
 * @example
 * console.error(formatError(new Error('boom')));
 */
export function formatError(error: Error, depth = 0): string {
  const stack = typeof error.stack === 'string' ? error.stack : `${error.name}: ${error.message}`;
  const lines = stack.split('\n');
  let first = lines.findIndex((line) => /^\s+at /.test(line));
  if (first === -1) first = lines.length;
  let head = lines.slice(0, first).join('\n');
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && !head.includes(code)) head += ` [${code}]`;
  const own: string[] = [];
  let hidden = 0;
  let top: string | null = null;
  for (let i = first; i < lines.length; i++) {
    const line = lines[i];
    if (isInternalFrame(line)) {
      top ??= line;
      hidden++;
    } else own.push(line);
  }
  if (own.length === 0 && top !== null) {
    own.push(top);
    hidden--;
  }
  let text = head;
  if (own.length > 0) text += `\n${own.join('\n')}`;
  if (hidden > 0) text += `\n    (${hidden} frame${hidden === 1 ? '' : 's'} inside http-kit and Node not shown)`;
  const cause = (error as { cause?: unknown }).cause;
  if (cause !== undefined && depth < 3) {
    text += `\n  cause: ${cause instanceof Error ? formatError(cause, depth + 1) : String(cause)}`;
  }
  return text;
}

export const defaultWarnLogger: WarnLogger = (message) => {
  console.warn(`[http-kit] ${message}`);
};
