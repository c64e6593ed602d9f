/**
 * A channel's `closed` promise, made only when someone asks for it (most channels never are, and
 * a promise per connection would cost memory on every idle one).
 */
import type { CloseReason } from './protocol.js';

export class ClosedSignal {
  readonly promise: Promise<CloseReason>;
  private resolve!: (reason: CloseReason) => void;

  constructor() {
    this.promise = new Promise((resolve) => (this.resolve = resolve));
  }

  /** The promise for a channel that is open (`reason` null) or closed for `reason`. */
  static for(existing: ClosedSignal | null, reason: CloseReason | null): ClosedSignal {
    const signal = existing ?? new ClosedSignal();
    if (reason !== null) signal.resolve(reason);
    return signal;
  }

  settle(reason: CloseReason): void {
    this.resolve(reason);
  }
}
