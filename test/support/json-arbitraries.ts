/**
 * fast-check arbitraries for JSON as the ledger meets it (request bodies, stored rows, events), with
 * what RFC 8785 treats apart: escapes, unicode, lone surrogates, numbers whose ES form is
 * exponential, -0, keys JavaScript orders or treats apart. Shared by the log's serializer tests.
 */
import fc from 'fast-check';

/** Strings with what RFC 8785 escapes or keeps: controls, quotes, backslashes, non-BMP, U+2028, and lone surrogates. */
export const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({
    unit: fc.constantFrom(
      '"',
      '\\',
      '\n',
      '\u0000',
      '\u001f',
      '\u007f',
      '\u2028',
      '€',
      '😀',
      'é',
      '/',
      '\ud800',
      '\udc00',
    ),
    maxLength: 8,
  }),
);

/** Numbers whose ES form matters: 1e21 and up, 1e-7 and down, -0, 0.1, the largest and smallest doubles. */
export const number = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(
    0,
    -0,
    0.1,
    1e21,
    1e-7,
    123456789012345680000,
    5e-324,
    Number.MAX_VALUE,
    Number.MAX_SAFE_INTEGER,
    -1.5e300,
  ),
);

/** Keys: any text, and those JavaScript orders or treats apart (array indices, `__proto__`, `toJSON`). */
export const key = fc.oneof(
  text,
  fc.nat().map(String),
  fc.constantFrom(
    '0',
    '1',
    '9',
    '10',
    '-1',
    '1.5',
    '01',
    '4294967295',
    '__proto__',
    'toJSON',
    'constructor',
    'a',
    'b',
    'B',
  ),
);

/** JSON data as a request body or a stored row parses to: any key order, nesting, arrays. */
export const { json } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    number,
    text,
    fc.array(tie('json'), { maxLength: 5 }),
    fc.dictionary(key, tie('json'), { maxKeys: 6 }),
  ),
}));

export const event = fc.record({
  id: fc.oneof(fc.uuid(), text),
  type: text,
  stream: text,
  streamRevision: fc.nat(),
  globalPosition: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  occurredAt: text,
  recordedAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  recordedBy: text,
  schemaVersion: fc.nat({ max: 9 }),
  data: json,
  metadata: json,
});
