/**
 * The kit's own WebSocket case ids ("6.x.12") are numbered by their place in their group, so a
 * case inserted in the middle of a group would renumber those after it, and reports made by two
 * versions of the kit would no longer compare line by line. case-ids.json records, for every own
 * id, a hash of the title it stands for: an id must keep its case. New cases go at the end of
 * their group and are recorded with `UPDATE_CASE_IDS=1 npx vitest run packages/conformance/test/case-ids.test.ts`
 * (which also records a case deliberately retitled: the diff of the file shows it).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { websocketServerCases } from '@http-kit/conformance';

const FILE = new URL('../case-ids.json', import.meta.url);
const hash = (title: string) => createHash('sha256').update(title).digest('hex').slice(0, 10);

describe('the kit-own case ids', () => {
  it('keep the case each was first given (new cases only at the end of a group)', () => {
    const own = websocketServerCases({ url: 'ws://127.0.0.1:1/' }).filter((c) => c.id.includes('.x.'));
    const now: Record<string, string> = Object.fromEntries(own.map((c) => [c.id, hash(c.title)]));
    if (process.env.UPDATE_CASE_IDS === '1') {
      writeFileSync(FILE, `${JSON.stringify(now, null, 0).replace(/,"/g, ',\n"')}\n`);
      return;
    }
    const recorded = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, string>;
    const moved: string[] = [];
    for (const [id, was] of Object.entries(recorded)) {
      const title = own.find((c) => c.id === id)?.title;
      if (now[id] !== was) moved.push(`${id} now ${title === undefined ? 'names no case' : `is "${title}"`}`);
    }
    expect(
      moved,
      `these ids stand for another case than before: add new cases at the end of their group (or, for a deliberate change, UPDATE_CASE_IDS=1)`,
    ).toEqual([]);
    const unrecorded = Object.keys(now).filter((id) => recorded[id] === undefined);
    expect(unrecorded, 'new cases: record them with UPDATE_CASE_IDS=1 (see the top of this file)').toEqual([]);
  });
});
