/**
 * `--cases 6.*,7.1.*`: which case ids a run includes. A pattern is an id with `*` standing for
 * anything (`6.*` is every case of group 6, `7.1.*` those of 7.1, `1.1.1` that one case); a
 * leading `!` excludes. Ids compare as strings, so `1.*` does not take `10.1.1`.
 */

/**
 * A predicate over case ids from a comma-separated list of patterns; an empty list takes all.
 * Throws naming the pattern when it holds characters an id never has.
 *
 * @example
 * const take = caseFilter('6.*,7.1.*,!6.4.*');
 * take('6.2.1'); // true
 * take('6.4.1'); // false
 */
export function caseFilter(patterns: string | readonly string[] | undefined): (id: string) => boolean {
  const list = (typeof patterns === 'string' ? patterns.split(',') : (patterns ?? [])).map((p) => p.trim()).filter((p) => p !== '');
  const include: RegExp[] = [];
  const exclude: RegExp[] = [];
  for (const pattern of list) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (!/^[\w.*-]+$/.test(body))
      throw new Error(`case pattern ${JSON.stringify(pattern)} holds characters no case id has; write ids with * as in "6.*,7.1.*"`);
    const regex = new RegExp(`^${body.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
    (negated ? exclude : include).push(regex);
  }
  return (id) => (include.length === 0 || include.some((r) => r.test(id))) && !exclude.some((r) => r.test(id));
}

/** Compares case ids the way a reader expects: 2.10 after 2.9, numbers by value, `x` after numbers. */
export function compareIds(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if (pa[i] === undefined) return -1;
    if (pb[i] === undefined) return 1;
    const na = Number(pa[i]);
    const nb = Number(pb[i]);
    if (Number.isInteger(na) && Number.isInteger(nb)) {
      if (na !== nb) return na - nb;
    } else if (pa[i] !== pb[i]) return Number.isInteger(na) ? -1 : Number.isInteger(nb) ? 1 : pa[i] < pb[i] ? -1 : 1;
  }
  return 0;
}
