/**
 * A first-in first-out queue of times (ms, performance.now()) on a growable Float64Array ring:
 * the send (or due) times of the requests a connection has in flight or waiting, oldest first.
 * Answers come back in order (HTTP/1.1, a WebSocket echo), so the oldest time is the one an
 * answer belongs to. Starts small; grows by doubling only when a stalled server lets due times
 * pile up. Nothing is allocated until the first push.
 *
 * @example
 * const q = new TimeQueue(1);
 * q.push(performance.now());
 * const sentAt = q.shift();
 */
/** Shared by every queue that never held anything: an idle connection allocates no ring. */
const NONE = new Float64Array(0);

export class TimeQueue {
  private ring: Float64Array = NONE;
  private head = 0;
  length = 0;
  /** The ring's first size, a power of two, allocated at the first push. */
  private readonly initial: number;

  constructor(capacity: number) {
    let size = 1;
    while (size < capacity) size <<= 1;
    this.initial = size;
  }

  push(time: number): void {
    if (this.length === this.ring.length) this.grow();
    this.ring[(this.head + this.length) & (this.ring.length - 1)] = time;
    this.length++;
  }

  /** The oldest time, removed; NaN when empty. */
  shift(): number {
    if (this.length === 0) return Number.NaN;
    const time = this.ring[this.head];
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.length--;
    return time;
  }

  /** The oldest time without removing it; NaN when empty. */
  peek(): number {
    return this.length === 0 ? Number.NaN : this.ring[this.head];
  }

  /** The time `n` places after the oldest (0 is the oldest); NaN past the end. */
  at(n: number): number {
    return n >= this.length ? Number.NaN : this.ring[(this.head + n) & (this.ring.length - 1)];
  }

  clear(): void {
    this.head = 0;
    this.length = 0;
  }

  private grow(): void {
    const bigger = new Float64Array(this.ring.length === 0 ? this.initial : this.ring.length * 2);
    for (let i = 0; i < this.length; i++) bigger[i] = this.ring[(this.head + i) & (this.ring.length - 1)];
    this.ring = bigger;
    this.head = 0;
  }
}
