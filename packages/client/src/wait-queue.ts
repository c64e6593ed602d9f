/**
 * One route's queue of requests waiting for a connection: first come first served, each wait
 * bounded by a timer on the wheel. The queue owns its nodes (a `Waiter` per waiting request,
 * made only when a request actually waits: a request that gets a connection at once allocates
 * nothing here), linked both ways so that a wait that times out or is cancelled (the request's
 * deadline, its signal) leaves from the middle in O(1). A waiting request points to its node.
 */
import { Timer, type TimerWheel } from '@http-kit/core';

/** Who hears of a request leaving the queue other than by `shift` (the route's pool). */
export interface WaitTimeoutListener<T> {
  /** `request` waited its whole budget (`budgetMs`, as `push` was given it); it has left the queue already. */
  waitTimedOut(request: T, budgetMs: number): void;
  /** `request` was taken out of the queue by `cancel`. */
  waitCancelled(request: T): void;
}

/** What can wait in a queue: it holds its node while it waits (null otherwise). */
export interface Queueable {
  waiter: Waiter<any> | null;
}

/** A waiting request: its place in the queue and its deadline. */
export class Waiter<T extends Queueable> {
  prev: Waiter<T> | null = null;
  next: Waiter<T> | null = null;
  /** Once out of the queue: what was left of the wait's budget (ms, at least 1). */
  left = 0;
  readonly timer: Timer<Waiter<T>>;

  constructor(
    readonly request: T,
    readonly queue: WaitQueue<T>,
    /** What the wait was given (ms). */
    readonly budget: number,
  ) {
    this.timer = new Timer<Waiter<T>>(onWaitTimeout, this);
  }
}

function onWaitTimeout<T extends Queueable>(waiter: Waiter<T>): void {
  waiter.queue.timedOut(waiter);
}

export class WaitQueue<T extends Queueable> {
  private head: Waiter<T> | null = null;
  private tail: Waiter<T> | null = null;
  /** Requests waiting. */
  length = 0;

  constructor(
    private readonly wheel: TimerWheel,
    private readonly listener: WaitTimeoutListener<T>,
  ) {}

  /** Queues `request` at the back, for at most `budgetMs`. */
  push(request: T, budgetMs: number): void {
    const waiter = new Waiter(request, this, budgetMs);
    request.waiter = waiter;
    waiter.prev = this.tail;
    if (this.tail === null) this.head = waiter;
    else this.tail.next = waiter;
    this.tail = waiter;
    this.length++;
    this.wheel.schedule(waiter.timer, budgetMs);
  }

  /** Takes the oldest request off the queue, its timer cancelled and `left` set; null when none waits. */
  shift(): Waiter<T> | null {
    const waiter = this.head;
    if (waiter === null) return null;
    this.unlink(waiter);
    const timer = waiter.timer;
    const left = timer.deadline - performance.now();
    timer.cancel();
    // At least 1 ms: a connect that starts with no time left still gets its timer.
    waiter.left = left > 1 ? left : 1;
    return waiter;
  }

  /** @internal The waiter's timer fired. */
  timedOut(waiter: Waiter<T>): void {
    this.unlink(waiter);
    this.listener.waitTimedOut(waiter.request, waiter.budget);
  }

  /** Takes `request` out of the queue (wherever it is) before its turn; a no-op when it does not wait here. */
  cancel(request: T): void {
    const waiter = request.waiter as Waiter<T> | null;
    if (waiter === null || waiter.queue !== this) return;
    this.unlink(waiter);
    waiter.timer.cancel();
    this.listener.waitCancelled(request);
  }

  private unlink(waiter: Waiter<T>): void {
    const prev = waiter.prev;
    const next = waiter.next;
    if (prev === null) this.head = next;
    else prev.next = next;
    if (next === null) this.tail = prev;
    else next.prev = prev;
    waiter.prev = waiter.next = null;
    waiter.request.waiter = null;
    this.length--;
  }
}
