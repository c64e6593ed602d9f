/**
 * The publish/subscribe hub in one process: each subscriber of a topic gets each message once, an
 * unsubscribed one no more, a throwing listener is reported while the others still get the
 * message, hubs of one name share messages and of other names do not, misuse is refused in words,
 * and our channels are dropped as they close without making their `closed` promise. Across
 * workers (node:cluster) it is tested in packages/http1/test/workers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ClosedSignal, createHub, InvalidArgumentError, kWatchClose, type CloseReason, type CloseWatcher } from '@http-kit/core';

let names = 0;
/** A hub of its own name, so the tests of this file do not share one. */
const freshHub = (errorLogger?: (message: string, error?: unknown) => void) => createHub({ name: `test-${++names}`, errorLogger });

describe('createHub', () => {
  it('delivers each message once to each subscriber of its topic, and to no other topic', () => {
    const hub = freshHub();
    const a: unknown[] = [];
    const b: unknown[] = [];
    const other: unknown[] = [];
    hub.subscribe('room', (message, topic) => a.push([topic, message]));
    hub.subscribe('room', (message) => b.push(message));
    hub.subscribe('elsewhere', (message) => other.push(message));
    hub.publish('room', { text: 'hi' });
    hub.publish('room', 'again');
    expect(a).toEqual([
      ['room', { text: 'hi' }],
      ['room', 'again'],
    ]);
    expect(b).toEqual([{ text: 'hi' }, 'again']);
    expect(other).toEqual([]);
  });

  it('stops delivering to a subscriber once unsubscribed (twice is harmless)', () => {
    const hub = freshHub();
    const got: unknown[] = [];
    const listener = (message: unknown) => got.push(message);
    const first = hub.subscribe('t', listener);
    hub.subscribe('t', listener);
    expect(hub.subscriberCount('t')).toBe(2);
    first();
    first();
    hub.publish('t', 1);
    expect(got).toEqual([1]);
    expect(hub.subscriberCount('t')).toBe(1);
  });

  it('reports a listener that throws, and the other subscribers still get the message', () => {
    const logged: Array<[string, unknown]> = [];
    const hub = freshHub((message, error) => logged.push([message, error]));
    const got: unknown[] = [];
    const boom = new Error('boom');
    hub.subscribe('t', () => {
      throw boom;
    });
    hub.subscribe('t', (message) => got.push(message));
    hub.publish('t', 'x');
    expect(got).toEqual(['x']);
    expect(logged).toEqual([['Hub subscriber to "t" threw', boom]]);
  });

  it('lets a listener unsubscribe itself while a message is delivered', () => {
    const hub = freshHub();
    const got: unknown[] = [];
    const unsubscribe = hub.subscribe('t', (message) => {
      got.push(message);
      unsubscribe();
    });
    hub.publish('t', 1);
    hub.publish('t', 2);
    expect(got).toEqual([1]);
  });

  it('shares messages between hubs of one name, not between names', () => {
    const name = `shared-${++names}`;
    const one = createHub({ name });
    const two = createHub({ name });
    const other = freshHub();
    const got: unknown[] = [];
    two.subscribe('t', (message) => got.push(['two', message]));
    other.subscribe('t', (message) => got.push(['other', message]));
    one.publish('t', 'm');
    expect(got).toEqual([['two', 'm']]);
  });

  it('refuses misuse in words', () => {
    const hub = freshHub();
    expect(() => hub.subscribe(42 as never, () => {})).toThrow(InvalidArgumentError);
    expect(() => hub.subscribe('t', 'nope' as never)).toThrow(/the subscriber must be a function or a channel, got "nope"/);
    expect(() => hub.publish(undefined as never, 'x')).toThrow(/topic must be a string, got/);
    expect(() => createHub({ name: '' })).toThrow(/name must be a non-empty string/);
    expect(() => createHub({ errorLogger: 1 as never })).toThrow(/errorLogger must be a function/);
    expect(() => createHub({ onRedisEvent: 'x' as never })).toThrow(/onRedisEvent must be a function, got "x"/);
    const channel = { isOpen: true, closed: new Promise(() => {}), send: () => true };
    expect(() => hub.subscribe('t', channel, { format: 3 as never })).toThrow(/format must be a function, got 3/);
  });

  it('resolves a publish true once delivered', async () => {
    const hub = freshHub();
    const got: unknown[] = [];
    hub.subscribe('t', (message) => got.push(message));
    const sent = hub.publish('t', 'x');
    expect(got).toEqual(['x']); // in one process, before publish returns
    expect(await sent).toBe(true);
    expect(hub.connected).toBe(true);
  });

  it('sends each message to a subscribed channel (as text, or as format makes it) and drops the channel when it closes', async () => {
    const hub = freshHub();
    const sent: unknown[] = [];
    let close!: () => void;
    const channel = { isOpen: true, closed: new Promise<void>((resolve) => (close = resolve)), send: (data: unknown) => sent.push(data) };
    const formatted: unknown[] = [];
    const other = { isOpen: true, closed: new Promise(() => {}), send: (data: unknown) => formatted.push(data) };
    hub.subscribe('t', channel);
    hub.subscribe('t', other, { format: (message, topic) => ({ status: 200, body: `${topic}:${JSON.stringify(message)}` }) });
    hub.publish('t', 'plain');
    hub.publish('t', { n: 1 });
    expect(sent).toEqual(['plain', '{"n":1}']);
    expect(formatted).toEqual([
      { status: 200, body: 't:"plain"' },
      { status: 200, body: 't:{"n":1}' },
    ]);
    channel.isOpen = false;
    hub.publish('t', 'not sent: closed');
    expect(sent).toHaveLength(2);
    close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(hub.subscriberCount('t')).toBe(1);
  });

  it('drops one of our channels as it closes, on every topic, without making its closed promise', async () => {
    const hub = freshHub();
    // As HttpChannel and WebSocketChannel do: a ClosedSignal, watched through kWatchClose.
    class Watched {
      isOpen = true;
      promisesMade = 0;
      signal: ClosedSignal | null = null;
      reason: CloseReason | null = null;
      get closed(): Promise<CloseReason> {
        this.promisesMade++;
        return (this.signal = ClosedSignal.for(this.signal, this.reason)).promise;
      }
      [kWatchClose](watcher: CloseWatcher): void {
        this.signal = ClosedSignal.watch(this.signal, this.reason, watcher);
      }
      send(): boolean {
        return true;
      }
      close(reason: CloseReason): void {
        this.isOpen = false;
        this.reason = reason;
        this.signal?.settle(reason);
      }
    }
    const channel = new Watched();
    hub.subscribe('a', channel);
    hub.subscribe('b', channel);
    expect(channel.promisesMade).toBe(0);
    channel.close('client-closed');
    expect([hub.subscriberCount('a'), hub.subscriberCount('b')]).toEqual([0, 0]); // at once, not a turn later
    expect(await channel.closed).toBe('client-closed'); // still there for whoever asks
    hub.subscribe('a', channel); // closed already: dropped at once
    expect(hub.subscriberCount('a')).toBe(0);
    const asked = new Watched();
    const closed = asked.closed; // made before the close: resolves with it
    hub.subscribe('a', asked);
    asked.close('timeout');
    expect(await closed).toBe('timeout');
    expect(hub.subscriberCount('a')).toBe(0);
  });

  it('does not give a message to a subscription made while that message is delivered (it waits for the next)', () => {
    const hub = freshHub();
    const got: string[] = [];
    hub.subscribe('t', (message) => {
      got.push(`first ${message}`);
      if (message === 1) hub.subscribe('t', (next) => got.push(`late ${next}`));
    });
    hub.publish('t', 1);
    hub.publish('t', 2);
    expect(got).toEqual(['first 1', 'first 2', 'late 2']);
  });

  it('does not gather the subscriptions a long-lived channel made and ended (room after room)', () => {
    const hub = freshHub();
    const signal = ClosedSignal.for(null, null);
    const channel = {
      isOpen: true,
      closed: new Promise(() => {}),
      send: () => true,
      [kWatchClose]: (watcher: CloseWatcher) => ClosedSignal.watch(signal, null, watcher),
    };
    for (let room = 0; room < 100; room++) hub.subscribe(`room:${room}`, channel)();
    hub.subscribe('last', channel);
    const held = (signal as unknown as { watchers: unknown }).watchers;
    expect(Array.isArray(held) ? held.length : 1).toBeLessThanOrEqual(2);
    signal.settle('client-closed');
    expect(hub.subscriberCount('last')).toBe(0);
  });

  it('stops delivering once closed, says so for a publish, and refuses a subscribe', async () => {
    const logged: string[] = [];
    const hub = freshHub((message) => logged.push(message));
    const got: unknown[] = [];
    hub.subscribe('t', (message) => got.push(message));
    await hub.close();
    expect(await hub.publish('t', 'after close')).toBe(false);
    expect(got).toEqual([]);
    expect(hub.subscriberCount('t')).toBe(0);
    expect(logged).toEqual([expect.stringMatching(/a message to "t" was not delivered: the hub is closed/)]);
    expect(() => hub.subscribe('t', () => {})).toThrow(/the hub "test-\d+" is closed/);
  });
});
