// Which cases a run takes (--cases) and in which order they are listed.
import { caseFilter, compareIds, websocketServerCases } from '@http-kit/conformance';
import { describe, expect, it } from 'vitest';

describe('caseFilter', () => {
  it('takes ids matching a pattern with *, and leaves out those after !', () => {
    const take = caseFilter('6.*,7.1.*,!6.4.*');
    expect(['6.2.1', '6.x.3', '7.1.6', '6.4.1', '7.3.1', '16.1'].filter(take)).toEqual(['6.2.1', '6.x.3', '7.1.6']);
  });

  it('does not take 10.1.1 for 1.*', () => {
    expect(caseFilter('1.*')('10.1.1')).toBe(false);
  });

  it('takes everything for an empty list', () => {
    expect(caseFilter('')('13.7.18')).toBe(true);
    expect(caseFilter(undefined)('0.x.1')).toBe(true);
  });

  it('names a pattern that cannot be an id', () => {
    expect(() => caseFilter('6.*;7')).toThrow(/"6\.\*;7"/);
  });
});

describe('compareIds', () => {
  it('orders numbers by value and the kit cases after Autobahn cases of their group', () => {
    expect(['2.10', '2.9', '10.1.1', '6.x.2', '6.23.7', '6.x.10', '1.1.1'].sort(compareIds)).toEqual([
      '1.1.1',
      '2.9',
      '2.10',
      '6.23.7',
      '6.x.2',
      '6.x.10',
      '10.1.1',
    ]);
  });
});

describe('the WebSocket server suite', () => {
  it("holds Autobahn's case ids, group by group", () => {
    const ids = new Set(websocketServerCases({ url: 'ws://127.0.0.1:1/' }).map((c) => c.id));
    const count = (prefix: string) => [...ids].filter((id) => id.startsWith(prefix) && !id.includes('.x.')).length;
    // Autobahn's counts: 1: 16, 2: 11, 3: 7, 4: 10, 5: 20, 6: 145, 7: 37, 9: 54, 10: 1, 12: 90, 13: 126.
    expect([
      count('1.'),
      count('2.'),
      count('3.'),
      count('4.'),
      count('5.'),
      count('6.'),
      count('7.'),
      count('9.'),
      count('10.'),
      count('12.'),
      count('13.'),
    ]).toEqual([16, 11, 7, 10, 20, 145, 37, 54, 1, 90, 126]);
  });

  it('adds the cases that need a declared limit only with maxMessageSize', () => {
    const without = websocketServerCases({ url: 'ws://127.0.0.1:1/', cases: '9.x.*' }).length;
    const withLimit = websocketServerCases({ url: 'ws://127.0.0.1:1/', cases: '9.x.*', maxMessageSize: 65536 }).length;
    expect(withLimit).toBeGreaterThan(without);
  });
});
