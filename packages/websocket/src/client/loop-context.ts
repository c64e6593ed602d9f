/**
 * What a client connection's socket loop needs from whoever runs it: on a server that is the
 * server (its wheel, limits, loggers and registry of connections); a WebSocket client has no
 * registry, so the context is the shared timer wheel, a write timeout and loggers. Connections
 * with the default ones share one context.
 */
import {
  defaultErrorLogger,
  defaultWarnLogger,
  defaultWheel,
  type ErrorLogger,
  type LoopContext,
  type SocketLoop,
  type WarnLogger,
} from '@http-kit/core';

class ClientLoopContext implements LoopContext {
  readonly wheel = defaultWheel;

  constructor(
    readonly writeTimeout: number,
    readonly errorLogger: ErrorLogger,
    readonly warnLogger: WarnLogger,
  ) {}

  /** Nothing to unregister: the channel's onClose has told the program. */
  connectionClosed(_loop: SocketLoop): void {}
}

const DEFAULT_WRITE_TIMEOUT = 60_000;
const shared = new ClientLoopContext(DEFAULT_WRITE_TIMEOUT, defaultErrorLogger, defaultWarnLogger);

/** The context for a connection with these settings (the shared one for the defaults). */
export function clientLoopContext(writeTimeout: number, errorLogger: ErrorLogger, warnLogger: WarnLogger): LoopContext {
  if (writeTimeout === DEFAULT_WRITE_TIMEOUT && errorLogger === defaultErrorLogger && warnLogger === defaultWarnLogger) return shared;
  return new ClientLoopContext(writeTimeout, errorLogger, warnLogger);
}

export { DEFAULT_WRITE_TIMEOUT };
