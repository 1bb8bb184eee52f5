/**
 * The check that a stored text is in RFC 8785 form already (src/log/canonical-check.ts) decides
 * whether a leaf is put together from the text as it is. If it said yes to a text that is not
 * exactly the canonical JSON of its value, a recomputed tree would differ from the log's; if it said
 * no to the texts the store writes, the work it exists to skip would still be done. Both ways are
 * held here, against our serializer (`canonicalJson`, itself held to the `canonicalize` package in
 * leaf.test.ts), over arbitrary JSON and texts made near misses on purpose.
 */
import fc from 'fast-check';
import t from 'tap';
import { isCanonicalJson } from '../../src/log/canonical-check.js';
import { canonicalJson } from '../../src/log/leaf.js';
import { json, number } from '../support/json-arbitraries.js';

/** The property the check promises: a yes only ever for a text that is its value's canonical JSON. */
function soundFor(text: string): void {
  if (!isCanonicalJson(text)) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`said yes to a text that is not JSON: ${JSON.stringify(text)}`);
  }
  const canonical = canonicalJson(parsed);
  if (canonical !== text)
    throw new Error(`said yes to ${JSON.stringify(text)}, whose canonical JSON is ${JSON.stringify(canonical)}`);
}

/** Keys the check takes as they are: none written with an escape, not `__proto__` (those it leaves to the long way). */
const plainKey = fc
  .oneof(
    fc.string({ unit: 'grapheme', maxLength: 10 }),
    fc.nat().map(String),
    fc.constantFrom('0', '1', '10', '9', 'a', 'B', 'b', 'é', '😀', 'toJSON', 'constructor', ''),
  )
  .filter((key) => JSON.stringify(key) === `"${key}"` && key !== '__proto__');
const plainText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({
    unit: fc.constantFrom(
      '"',
      '\\',
      '\n',
      '\t',
      '\b',
      '\f',
      '\r',
      '\u0000',
      '\u001f',
      '\u007f',
      '\u2028',
      'é',
      '😀',
      '/',
    ),
    maxLength: 8,
  }),
);
const { plainJson } = fc.letrec<{ plainJson: unknown }>((tie) => ({
  plainJson: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    number,
    plainText,
    fc.array(tie('plainJson'), { maxLength: 5 }),
    fc.dictionary(plainKey, tie('plainJson'), { maxKeys: 6 }),
  ),
}));

t.test('the canonical JSON our serializer writes passes the check', async (t) => {
  let checked = 0;
  fc.assert(
    fc.property(plainJson, (value) => {
      const text = canonicalJson(value);
      if (text === undefined) return; // a lone surrogate: no canonical form, nothing stored so
      checked++;
      if (!isCanonicalJson(text)) throw new Error(`said no to canonical ${JSON.stringify(text)}`);
    }),
    { numRuns: 5000 },
  );
  t.ok(checked > 4000, `${checked} canonical texts passed`);
});

t.test('a yes only ever for a text that is exactly the canonical JSON of its value', async (t) => {
  // Texts JSON.stringify writes (keys in insertion order, lone surrogates escaped) and pretty-printed ones.
  fc.assert(
    fc.property(json, (value) => {
      const plain = JSON.stringify(value);
      if (plain !== undefined) soundFor(plain);
      const pretty = JSON.stringify(value, null, 1);
      if (pretty !== undefined) soundFor(pretty);
      const canonical = canonicalJson(value);
      if (canonical !== undefined) soundFor(canonical);
    }),
    { numRuns: 5000 },
  );
  t.pass('5000 values, three texts each');
});

/** Edits that make a canonical text a near miss: other spellings of the same value, or not JSON at all. */
const NEAR_MISSES = [
  ' ',
  '\n',
  ',',
  ':',
  '"',
  '\\',
  '\\/',
  '\\u0041',
  '\\u00e9',
  '\\u001F',
  '\\u001f',
  '\\u0008',
  '\\ud800',
  '\\n',
  '.0',
  '0',
  '-',
  '-0',
  'e+21',
  'E5',
  '{',
  '}',
  '[',
  ']',
  'true',
  'nul',
  '\ud800',
  '\udc00',
  '\u0000',
];

t.test('near misses of canonical texts get a yes only when they are canonical all the same', async (t) => {
  const edit = fc.record({
    at: fc.nat(),
    cut: fc.nat({ max: 3 }),
    insert: fc.constantFrom(...NEAR_MISSES),
  });
  let yes = 0;
  fc.assert(
    fc.property(plainJson, fc.array(edit, { minLength: 1, maxLength: 3 }), (value, edits) => {
      const canonical = canonicalJson(value);
      if (canonical === undefined) return;
      let text: string = canonical;
      for (const { at, cut, insert } of edits) {
        const where: number = at % (text.length + 1);
        text = text.slice(0, where) + insert + text.slice(where + cut);
      }
      if (isCanonicalJson(text)) yes++;
      soundFor(text);
    }),
    { numRuns: 20_000 },
  );
  t.ok(yes > 0, `${yes} of the edited texts were canonical all the same, and said to be`);
});

/** A text for a test's message in printable ASCII: a raw U+2028 would break the TAP stream's lines. */
const shown = (text: string) =>
  JSON.stringify(text.slice(0, 40)).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

t.test('what the check refuses, and the few canonical texts it leaves to the long way', async (t) => {
  const refused = [
    '', // nothing
    ' 1',
    '1 ',
    '{"b":1,"a":2}', // keys out of order
    '{"a":1,"a":2}', // a key twice
    '{"a":1,}',
    '[1,]',
    '01',
    '-0',
    '1.0',
    '1e21', // ES writes 1e+21
    '1E+21',
    '0.10',
    '1e400', // not finite
    '"\\/"',
    '"\\u0041"',
    '"\\u001F"',
    '"\\u0009"', // \t has a short form
    '"\u0001"', // a raw control
    '"\ud800"', // a lone surrogate
    '"\\ud83d\\ude00"', // an escaped pair: JSON.stringify writes the character
    '"abc', // unterminated
    'tru',
    'nulls',
    '{"a" :1}',
    '{"\\u0061":1}', // canonical-looking key with an escape
    `{"__proto__":1}`,
    `${'['.repeat(200)}${']'.repeat(200)}`, // deeper than the check goes
  ];
  for (const text of refused) t.notOk(isCanonicalJson(text), `refused: ${shown(text)}`);
  const accepted = [
    '1',
    '-1',
    '0',
    '1e+21',
    '1.5e-7',
    '123456789012345680000',
    '9007199254740991',
    '"\\u001f\\b\\t\\n\\f\\r\\"\\\\"',
    '"\u007f\u2028é😀/"',
    '{"10":1,"9":2,"B":3,"a":4,"é":5}',
    '{"":[],"a":{},"b":[null,true,false]}',
    `${'['.repeat(100)}${']'.repeat(100)}`,
  ];
  for (const text of accepted) {
    t.ok(isCanonicalJson(text), `accepted: ${shown(text)}`);
    t.equal(canonicalJson(JSON.parse(text)), text, 'and it is the canonical JSON of its value');
  }
});
