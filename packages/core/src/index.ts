export { Timer, TimerWheel, defaultWheel } from './timer-wheel.js';
export type { TimerCallback, TimerWheelOptions } from './timer-wheel.js';
export { EMPTY, writeLatin1, byteLength, ChunkQueue } from './buffers.js';
export { defaultErrorLogger, defaultWarnLogger } from './logger.js';
export type { ErrorLogger, WarnLogger } from './logger.js';
export { HttpKitError, InvalidArgumentError } from './errors.js';
export { positiveOption, nonNegativeOption, describe } from './options.js';
export { AsyncRegistry } from './async-registry.js';
export type { PendingResponse } from './async-registry.js';
