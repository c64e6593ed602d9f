/**
 * The publish/subscribe hub in one process: each subscriber of a topic gets each message once, an
 * unsubscribed one no more, a throwing listener is reported while the others still get the
 * message, hubs of one name share messages and of other names do not, and misuse is refused in
 * words. Across workers (node:cluster) it is tested in packages/http1/test/workers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createHub, InvalidArgumentError } from '@http-kit/core';

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
    expect(a).toEqual([['room', { text: 'hi' }], ['room', 'again']]);
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
    expect(() => hub.subscribe('t', 'nope' as never)).toThrow(/listener must be a function, got/);
    expect(() => hub.publish(undefined as never, 'x')).toThrow(/topic must be a string, got/);
    expect(() => createHub({ name: '' })).toThrow(/name must be a non-empty string/);
    expect(() => createHub({ errorLogger: 1 as never })).toThrow(/errorLogger must be a function/);
  });
});
