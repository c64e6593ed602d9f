/**
 * The UTF-8 sequences of Autobahn's groups 6.5 to 6.23, which come from Markus Kuhn's UTF-8
 * decoder test (UTF-8-test.txt): each subgroup a list of payloads, valid or not. Written out as
 * data here; the numbering (6.5.1 is the first payload of the first list) is Autobahn's.
 */

export interface Utf8Subgroup {
  title: string;
  sequences: ReadonlyArray<{ valid: boolean; data: Buffer }>;
}

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const bytesFrom = (from: number, to: number, between?: number) => {
  const out: number[] = [];
  for (let b = from; b < to; b++) out.push(b, ...(between === undefined ? [] : [between]));
  return Buffer.from(out);
};
const isValid = (data: Buffer) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
};

const KOSME = hex('cebae1bdb9cf83cebcceb5');
const MISSING_LAST = ['c0', 'e080', 'f08080', 'f8808080', 'fc80808080', 'df', 'efbf', 'f7bfbf', 'fbbfbfbf', 'fdbfbfbfbf'].map(hex);

function noncharacters(): Buffer[] {
  const out = [hex('efbfbe'), hex('efbfbf')];
  for (const lead of [0xf0, 0xf1, 0xf2, 0xf3, 0xf4])
    for (const second of [0x8f, 0x9f, 0xaf, 0xbf]) {
      if (lead === 0xf4 && second !== 0x8f) continue; // above U+10FFFF
      for (const last of [0xbe, 0xbf]) {
        if (lead === 0xf0 && second === 0x8f) continue; // overlong
        out.push(Buffer.from([lead, second, 0xbf, last]));
      }
    }
  return out;
}

const list = (title: string, valid: boolean, items: readonly Buffer[]): Utf8Subgroup => ({
  title,
  sequences: items.map((data) => ({ valid, data })),
});

/** Subgroups 6.5 .. 6.23, in order. */
export const UTF8_SUBGROUPS: readonly Utf8Subgroup[] = [
  list('Some valid UTF-8 sequences', true, [
    Buffer.from('hello$world'),
    Buffer.from('hello\u00a2world'),
    Buffer.from('hello\u20acworld'),
    Buffer.from('hello\u{24b62}world'),
    KOSME,
  ]),
  {
    title: 'All prefixes of a valid UTF-8 string that contains multi-byte code points',
    sequences: Array.from({ length: KOSME.length }, (_, i) => KOSME.subarray(0, i + 1)).map((data) => ({ valid: isValid(data), data })),
  },
  list('First possible sequence of a certain length', true, [hex('00'), hex('c280'), hex('e0a080'), hex('f0908080')]),
  list('First possible sequence length 5/6 (invalid codepoints)', false, [hex('f888808080'), hex('fc8480808080')]),
  list('Last possible sequence of a certain length', true, [hex('7f'), hex('dfbf'), hex('efbfbf'), hex('f48fbfbf')]),
  list('Last possible sequence length 4/5/6 (invalid codepoints)', false, [hex('f7bfbfbf'), hex('fbbfbfbfbf'), hex('fdbfbfbfbfbf')]),
  {
    title: 'Other boundary conditions',
    sequences: [hex('ed9fbf'), hex('ee8080'), hex('efbfbd'), hex('f48fbfbf'), hex('f4908080')].map((data) => ({
      valid: isValid(data),
      data,
    })),
  },
  list('Unexpected continuation bytes', false, [
    hex('80'),
    hex('bf'),
    hex('80bf'),
    hex('80bf80'),
    hex('80bf80bf'),
    hex('80bf80bf80'),
    hex('80bf80bf80bf'),
    bytesFrom(0x80, 0xbf),
  ]),
  list('Lonely start characters', false, [
    bytesFrom(0xc0, 0xdf, 0x20),
    bytesFrom(0xe0, 0xef, 0x20),
    bytesFrom(0xf0, 0xf7, 0x20),
    bytesFrom(0xf8, 0xfb, 0x20),
    bytesFrom(0xfc, 0xfd, 0x20),
  ]),
  list('Sequences with last continuation byte missing', false, MISSING_LAST),
  list('Concatenation of incomplete sequences', false, [Buffer.concat(MISSING_LAST)]),
  list('Impossible bytes', false, [hex('fe'), hex('ff'), hex('fefeffff')]),
  list('Examples of an overlong ASCII character', false, [
    hex('c0af'),
    hex('e080af'),
    hex('f08080af'),
    hex('f8808080af'),
    hex('fc80808080af'),
  ]),
  list('Maximum overlong sequences', false, [hex('c1bf'), hex('e09fbf'), hex('f08fbfbf'), hex('f887bfbfbf'), hex('fc83bfbfbfbf')]),
  list('Overlong representation of the NUL character', false, [
    hex('c080'),
    hex('e08080'),
    hex('f0808080'),
    hex('f880808080'),
    hex('fc8080808080'),
  ]),
  list('Single UTF-16 surrogates', false, ['eda080', 'edadbf', 'edae80', 'edafbf', 'edb080', 'edbe80', 'edbfbf'].map(hex)),
  list(
    'Paired UTF-16 surrogates',
    false,
    ['eda080edb080', 'eda080edbfbf', 'edadbfedb080', 'edadbfedbfbf', 'edae80edb080', 'edae80edbfbf', 'edafbfedb080', 'edafbfedbfbf'].map(
      hex,
    ),
  ),
  list('Non-character code points (valid UTF-8)', true, noncharacters()),
  list('Unicode specials (i.e. replacement char)', true, ['efbfb9', 'efbfba', 'efbfbb', 'efbfbc', 'efbfbd', 'efbfbe', 'efbfbf'].map(hex)),
];

for (const group of UTF8_SUBGROUPS)
  for (const s of group.sequences)
    if (isValid(s.data) !== s.valid) throw new Error(`UTF-8 table error in "${group.title}": ${s.data.toString('hex')}`);
