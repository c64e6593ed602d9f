/**
 * A channel's `closed` promise, made only when someone asks for it (most channels never are, and
 * a promise per connection would cost memory on every idle one). The hub does not ask for it: it
 * watches the close through `kWatchClose`, told synchronously, with no promise, reaction or
 * closure per subscribed channel.
 */
import type { CloseReason } from './protocol.js';

/** Told once, synchronously, when the channel it watches closes. */
export interface CloseWatcher {
  channelClosed(): void;
  /** False once the watcher no longer cares (a hub subscription unsubscribed): dropped at the next watch, so a long-lived channel that subscribes and unsubscribes again and again does not gather them. */
  readonly watching?: boolean;
}

const stillWatching = (watcher: CloseWatcher): boolean => watcher.watching !== false;

/**
 * @internal A channel's method taking a CloseWatcher (told at once when the channel is closed
 * already). `Symbol.for`, so that duplicate copies of the package recognise each other's channels.
 */
export const kWatchClose: unique symbol = Symbol.for('http-kit.watchClose');

/** Tells `watcher` when `channel` closes: through its `kWatchClose` when it has one, else when its `closed` settles. */
export function watchClose(channel: { readonly closed: PromiseLike<unknown> }, watcher: CloseWatcher): void {
  const watchable = channel as { [kWatchClose]?: (watcher: CloseWatcher) => void };
  if (typeof watchable[kWatchClose] === 'function') {
    watchable[kWatchClose](watcher);
    return;
  }
  const told = () => watcher.channelClosed();
  channel.closed.then(told, told);
}

export class ClosedSignal {
  private made: Promise<CloseReason> | null = null;
  private resolve: ((reason: CloseReason) => void) | null = null;
  private reason: CloseReason | null = null;
  /** One watcher (a channel subscribed to one topic) or several. */
  private watchers: CloseWatcher | CloseWatcher[] | null = null;

  get promise(): Promise<CloseReason> {
    if (this.made === null) {
      const reason = this.reason;
      this.made = reason !== null ? Promise.resolve(reason) : new Promise((resolve) => (this.resolve = resolve));
    }
    return this.made;
  }

  /** The signal of a channel that is open (`reason` null) or closed for `reason`. */
  static for(existing: ClosedSignal | null, reason: CloseReason | null): ClosedSignal {
    const signal = existing ?? new ClosedSignal();
    if (reason !== null) signal.settle(reason);
    return signal;
  }

  /** Adds `watcher` to a channel's signal (made if need be); a closed channel's watcher is told now. */
  static watch(existing: ClosedSignal | null, reason: CloseReason | null, watcher: CloseWatcher): ClosedSignal {
    const signal = ClosedSignal.for(existing, reason);
    const watchers = signal.watchers;
    if (signal.reason !== null) watcher.channelClosed();
    else if (watchers === null || (!Array.isArray(watchers) && !stillWatching(watchers))) signal.watchers = watcher;
    else if (Array.isArray(watchers)) {
      const kept = watchers.filter(stillWatching);
      kept.push(watcher);
      signal.watchers = kept.length === 1 ? watcher : kept;
    } else signal.watchers = [watchers, watcher];
    return signal;
  }

  settle(reason: CloseReason): void {
    if (this.reason !== null) return;
    this.reason = reason;
    this.resolve?.(reason);
    this.resolve = null;
    const watchers = this.watchers;
    this.watchers = null;
    if (watchers === null) return;
    if (Array.isArray(watchers)) for (const watcher of watchers) watcher.channelClosed();
    else watchers.channelClosed();
  }
}
