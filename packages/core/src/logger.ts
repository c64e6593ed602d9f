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
  console.error(`[http-kit] ${message}`, error ?? '');
};

export const defaultWarnLogger: WarnLogger = (message) => {
  console.warn(`[http-kit] ${message}`);
};
