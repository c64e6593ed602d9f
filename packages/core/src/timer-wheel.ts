/**
 * A hashed timer wheel: every timeout of the server, the client and WebSocket lives here.
 *
 * Thousands of timers cost one Node timer, which runs only while the wheel holds a timer
 * and is unref'd, so the wheel never keeps a process alive. Adding and cancelling are O(1):
 * a timer is a node of an intrusive doubly-linked list in the slot its deadline hashes to,
 * and the same node is re-armed for the life of its owner (one per connection), so the hot
 * path allocates nothing.
 *
 * @example
 * const timer = new Timer(conn => conn.destroy(), conn);
 * defaultWheel.schedule(timer, 5_000);  // re-arming moves it; cancel() takes it out
 */
export type TimerCallback<T> = (target: T) => void;

/** One re-armable timeout. Owned by the code that created it; scheduled on one wheel at a time. */
export class Timer<T = unknown> {
  /** Absolute time (ms, `performance.now()` clock) at which it fires; 0 when not armed. */
  deadline = 0;
  /** @internal list links inside the wheel slot. */
  prev: Timer<any> | null = null;
  /** @internal */
  next: Timer<any> | null = null;
  /** @internal the wheel it is armed on, or null. */
  wheel: TimerWheel | null = null;
  /** @internal the slot it is linked into. */
  slot = -1;

  constructor(
    readonly callback: TimerCallback<T>,
    readonly target: T,
  ) {}

  get armed(): boolean {
    return this.wheel !== null;
  }

  /** Takes the timer off its wheel; a no-op when it is not armed. */
  cancel(): void {
    this.wheel?.cancel(this);
  }
}

export interface TimerWheelOptions {
  /** Resolution: a timer fires at most this much after its deadline (plus event-loop lag). */
  tickMs?: number;
  /** Number of slots; the wheel turns once every `tickMs * slots` ms. Power of two. */
  slots?: number;
  /** Receives exceptions thrown by timer callbacks, which never escape the wheel. */
  onError?: (error: unknown) => void;
}

export class TimerWheel {
  readonly tickMs: number;
  private readonly mask: number;
  private readonly heads: Array<Timer<any> | null>;
  private readonly onError: (error: unknown) => void;
  /** Index (in ticks since the epoch) of the next tick to process. */
  private cursor: number;
  private count = 0;
  /** The time at the last tick (or start): the coarse clock of scheduleCoarse. */
  private clock = now();
  private node: NodeJS.Timeout | null = null;
  private readonly onTick = () => this.advance();

  constructor(options: TimerWheelOptions = {}) {
    this.tickMs = options.tickMs ?? 20;
    const slots = options.slots ?? 1024;
    if ((slots & (slots - 1)) !== 0) throw new RangeError(`TimerWheel slots must be a power of two, got ${slots}`);
    this.mask = slots - 1;
    this.heads = new Array(slots).fill(null);
    this.onError =
      options.onError ??
      ((error) =>
        queueMicrotask(() => {
          throw error;
        }));
    this.cursor = Math.floor(now() / this.tickMs);
  }

  /** How many timers are armed. */
  get size(): number {
    return this.count;
  }

  /** Arms `timer` to fire `delayMs` from now, moving it if it was already armed. */
  schedule(timer: Timer<any>, delayMs: number): void {
    this.link(timer, now() + Math.max(0, delayMs));
  }

  /**
   * Like `schedule`, but reads no clock: the deadline counts from the wheel's last tick plus one
   * tick, so it fires between `delayMs` and `delayMs` + 2 ticks from now (earlier only if the
   * event loop was blocked for longer than a tick). For timeouts re-armed on every request
   * (keep-alive, header read), where a clock read per request is measurable.
   */
  scheduleCoarse(timer: Timer<any>, delayMs: number): void {
    if (this.count === 0) this.clock = now();
    this.link(timer, this.clock + this.tickMs + Math.max(0, delayMs));
  }

  private link(timer: Timer<any>, deadline: number): void {
    if (timer.wheel !== null) timer.wheel.cancel(timer);
    timer.deadline = deadline;
    // A timer never lands in a slot the wheel has already passed this turn.
    const tick = Math.max(Math.ceil(deadline / this.tickMs), this.cursor);
    const slot = tick & this.mask;
    const head = this.heads[slot];
    timer.prev = null;
    timer.next = head;
    if (head !== null) head.prev = timer;
    this.heads[slot] = timer;
    timer.wheel = this;
    timer.slot = slot;
    if (this.count++ === 0) this.start();
  }

  cancel(timer: Timer<any>): void {
    if (timer.wheel !== this) return;
    const slot = timer.slot;
    if (timer.prev !== null) timer.prev.next = timer.next;
    else this.heads[slot] = timer.next;
    if (timer.next !== null) timer.next.prev = timer.prev;
    timer.prev = timer.next = null;
    timer.wheel = null;
    timer.deadline = 0;
    timer.slot = -1;
    if (--this.count === 0) this.stop();
  }

  private start(): void {
    if (this.node !== null) return;
    this.clock = now();
    this.cursor = Math.floor(this.clock / this.tickMs);
    this.node = setInterval(this.onTick, this.tickMs);
    this.node.unref();
  }

  private stop(): void {
    if (this.node === null) return;
    clearInterval(this.node);
    this.node = null;
  }

  /** Fires every timer whose deadline has passed, in every slot the clock went through. */
  advance(): void {
    const time = now();
    this.clock = time;
    const last = Math.floor(time / this.tickMs);
    const lastSlotToVisit = Math.min(last, this.cursor + this.mask);
    for (let tick = this.cursor; tick <= lastSlotToVisit && this.count > 0; tick++) {
      const slot = tick & this.mask;
      let timer = this.heads[slot];
      while (timer !== null) {
        const next: Timer<any> | null = timer.next;
        if (timer.deadline <= time) {
          this.cancel(timer);
          try {
            timer.callback(timer.target);
          } catch (error) {
            this.onError(error);
          }
        }
        // A callback may have cancelled or moved `next`: then walk the slot again from its
        // head (fired timers are gone from it, the rest are checked against the clock again).
        timer = next === null || (next.wheel === this && next.slot === slot) ? next : this.heads[slot];
      }
    }
    this.cursor = last + 1;
  }
}

const now: () => number = () => performance.now();

/** The wheel the server, the client and WebSocket share by default. */
export const defaultWheel = new TimerWheel();
