/**
 * The registry of pending responses: every parked request (long poll, stream, WebSocket) a
 * server holds, each with an optional timeout on the shared timer wheel.
 *
 * It is what lets a server count what it holds, close it all when it stops, and make sure a
 * parked client can never outstay its timeout.
 *
 * @example
 * const registry = new AsyncRegistry<MyChannel>(defaultWheel);
 * registry.add(channel, 30_000);   // channel.onTimeout() runs if still here in 30 s
 * registry.delete(channel);        // answered or gone
 */
import { Timer, type TimerWheel } from './timer-wheel.js';

export interface PendingResponse {
  /** Called once if the item is still registered when its timeout passes. */
  onTimeout(): void;
}

export class AsyncRegistry<T extends PendingResponse> {
  private readonly items = new Map<T, Timer<T> | null>();

  constructor(private readonly wheel: TimerWheel) {}

  get size(): number {
    return this.items.size;
  }

  has(item: T): boolean {
    return this.items.has(item);
  }

  /** Registers `item`; with `timeoutMs` > 0 its `onTimeout` runs if it is still here then. */
  add(item: T, timeoutMs = 0): void {
    if (this.items.has(item)) return;
    let timer: Timer<T> | null = null;
    if (timeoutMs > 0) {
      timer = new Timer<T>(fireTimeout, item);
      this.wheel.schedule(timer, timeoutMs);
    }
    this.items.set(item, timer);
  }

  /** Moves an item's deadline to `timeoutMs` from now (0 removes it). */
  setTimeout(item: T, timeoutMs: number): void {
    if (!this.items.has(item)) return;
    let timer = this.items.get(item) ?? null;
    if (timeoutMs <= 0) {
      timer?.cancel();
      return;
    }
    if (timer === null) {
      timer = new Timer<T>(fireTimeout, item);
      this.items.set(item, timer);
    }
    this.wheel.schedule(timer, timeoutMs);
  }

  /** Unregisters `item` and cancels its timeout; true if it was registered. */
  delete(item: T): boolean {
    const timer = this.items.get(item);
    if (timer === undefined) return false;
    timer?.cancel();
    this.items.delete(item);
    return true;
  }

  /** A snapshot of what is registered (safe to mutate the registry while walking it). */
  snapshot(): T[] {
    return [...this.items.keys()];
  }
}

function fireTimeout<T extends PendingResponse>(item: T): void {
  item.onTimeout();
}
