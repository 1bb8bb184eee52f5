/**
 * The leaf serializer is ours (src/log/leaf.ts, written for speed); the
 * `canonicalize` package is the RFC 8785 reference. Here the two must give
 * the same bytes, or throw alike, for arbitrary events: unicode and escapes,
 * numbers whose ES form is exponential, -0, fractions, nested data with keys
 * in any order, and values no parsed JSON holds.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import type { RecordedEvent } from '../../events/index.js';
import { event } from '../support/json-arbitraries.js';
import {
  canonicalJson,
  exportLine,
  exportLineOf,
  leafHashBinaryOfEvent,
  leafHashesOfStored,
  leafHashOfEvent,
  storedAppendOf,
} from '../../src/log/leaf.js';

/** The reference leaf hash, straight from RFC 9162 §2.1.1 and the package. */
const referenceLeafHash = (line: string) =>
  createHash('sha256')
    .update(Buffer.from([0]))
    .update(Buffer.from(line, 'utf8'))
    .digest();

const outcome = (f: () => string): { line: string } | { error: string } => {
  try {
    return { line: f() };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
};

const sameAsReference = (t: Test, event: unknown, message: string) => {
  const ours = outcome(() => exportLine(event as RecordedEvent));
  const reference = outcome(() => canonicalize(event) ?? 'undefined');
  t.same(ours, reference, message);
};

t.test('our leaf serializer gives the bytes of the canonicalize package, or throws as it does', async (t) => {
  fc.assert(
    fc.property(event, (e) => {
      const ours = outcome(() => exportLine(e as RecordedEvent));
      const reference = outcome(() => canonicalize(e) ?? 'undefined');
      if (JSON.stringify(ours) !== JSON.stringify(reference))
        throw new Error(`ours ${JSON.stringify(ours)}, reference ${JSON.stringify(reference)}`);
      if ('line' in reference && !leafHashOfEvent(e as RecordedEvent).equals(referenceLeafHash(reference.line)))
        throw new Error('the leaf hash is not SHA-256(0x00 ‖ the reference line)');
    }),
    { numRuns: 3000 },
  );
  t.pass('3000 events');
});

t.test(
  'the line put together from canonical data and metadata (as the store writes them) is the same line',
  async (t) => {
    let assembled = 0;
    fc.assert(
      fc.property(event, (e) => {
        const data = canonicalJson(e.data);
        const metadata = canonicalJson(e.metadata);
        if (data === undefined || metadata === undefined) return; // the store then writes plain JSON, and the log serializes
        assembled++;
        const ours = outcome(() => exportLineOf(e as RecordedEvent, data, metadata));
        const whole = outcome(() => exportLine(e as RecordedEvent));
        if (JSON.stringify(ours) !== JSON.stringify(whole))
          throw new Error(`put together ${JSON.stringify(ours)}, serialized ${JSON.stringify(whole)}`);
      }),
      { numRuns: 3000 },
    );
    t.ok(assembled > 1000, `${assembled} of 3000 events put together from their parts`);
  },
);

/** The JSON a row holds: canonical, as the store writes it, or as JSON.stringify wrote it (older rows, other tools). */
const ROW_TEXTS = {
  canonical: (value: unknown) => canonicalJson(value) ?? JSON.stringify(value),
  stringified: (value: unknown) => JSON.stringify(value),
};

for (const [written, rowText] of Object.entries(ROW_TEXTS))
  t.test(
    `the leaf thread’s leaves, made from the JSON the rows hold (${written}), are the leaves of the events as appended`,
    async (t) => {
      let hashed = 0;
      fc.assert(
        fc.property(fc.array(event, { minLength: 1, maxLength: 4 }), (batch) => {
          // One append: one stream and one recording time, as the store writes them.
          const appended = batch.map((e) => ({ ...e, stream: batch[0]!.stream, recordedAt: batch[0]!.recordedAt }));
          const inline = outcome(() => appended.map((e) => leafHashBinaryOfEvent(e as RecordedEvent)).join(''));
          const fromRows = outcome(() =>
            leafHashesOfStored(
              storedAppendOf(
                appended as RecordedEvent[],
                appended.map((e) => rowText(e.data)),
                appended.map((e) => rowText(e.metadata)),
              ),
            ),
          );
          // What cannot be hashed (a lone surrogate) fails on the thread too, and the seal hashes it here.
          if ('error' in inline) {
            if (!('error' in fromRows)) throw new Error(`inline failed (${inline.error}), from rows did not`);
            return;
          }
          hashed++;
          if (JSON.stringify(fromRows) !== JSON.stringify(inline))
            throw new Error(`from rows ${JSON.stringify(fromRows)}, inline ${JSON.stringify(inline)}`);
        }),
        { numRuns: 2000 },
      );
      t.ok(hashed > 200, `${hashed} of 2000 batches hashed alike, the rest refused alike`);
    },
  );

t.test('a well-formed event round-trips through JSON to the same line', async (t) => {
  fc.assert(
    fc.property(event, (e) => {
      const line = outcome(() => exportLine(e as RecordedEvent));
      if ('error' in line) return; // lone surrogates: not JSON any parser gives back
      const parsed = JSON.parse(line.line) as RecordedEvent;
      if (exportLine(parsed) !== line.line) throw new Error(`the line of the parsed line differs: ${line.line}`);
    }),
    { numRuns: 500 },
  );
  t.pass('500 events');
});

t.test('values no parsed JSON holds go to the reference and come out as it writes them', async (t) => {
  const base = {
    id: 'a',
    type: 'T',
    stream: 'ledger',
    streamRevision: 0,
    globalPosition: 1,
    occurredAt: '2025-01-01',
    recordedAt: '2025-01-01T00:00:00.000Z',
    recordedBy: 'r',
    schemaVersion: 1,
    metadata: {},
  };
  const cases: [string, unknown][] = [
    ['a Date (toJSON)', { when: new Date(0) }],
    ['an object with toJSON', { toJSON: () => ({ b: 1, a: 2 }) }],
    ['NaN', { n: Number.NaN }],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['undefined in an array', [1, undefined, 2]],
    ['a hole in an array', [1, , 2]], // eslint-disable-line no-sparse-arrays
    ['undefined in an object', { a: undefined, b: 1 }],
    ['a function in an object', { f: () => 1, a: 1 }],
    ['a symbol in an array', [Symbol('s')]],
    ['a lone surrogate in a key', { '\udfff': 1 }],
    ['a boxed string', { s: new String('x') }],
    ['a null-prototype object', Object.assign(Object.create(null) as object, { b: 1, a: 2 })],
    ['keys that sort by UTF-16 code unit, not code point', { '\ufb01': 1, '😀': 2, a: 3, A: 4, '': 5 }],
    ['keys JavaScript enumerates first, as array indices', { b: 1, 10: 2, 9: 3, a: { 2: 1, 1: 2 } }],
    ['an own __proto__ key', JSON.parse('{"b":1,"__proto__":{"x":1},"a":2}')],
    ['keys in order around an unsorted object', { a: { d: 1, c: 2 }, b: [{ f: 1, e: 2 }], c: 3 }],
    // The serializer keeps each key list's order by its first key: lists that share it must not share an order.
    [
      'key lists that share their first key and differ after it',
      [
        { b: 1, a: 2, c: 3 },
        { b: 1, a: 2, d: 3 },
        { b: 1, d: 2, a: 3 },
        { b: 1, a: 2 },
        { b: 1, c: 2, a: 3, d: 4 },
      ],
    ],
    [
      'a key list met before, sorted and then not',
      [
        { b: 1, c: 2 },
        { b: 1, a: 2, c: 3 },
        { b: 2, c: 3 },
      ],
    ],
    // More keys and key lists than it keeps: the rest are written all the same.
    [
      'more distinct keys than are kept',
      Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${4999 - i}`, i])),
    ],
    ['more key lists than are kept', Array.from({ length: 1500 }, (_, i) => ({ [`z${i}`]: 1, [`a${i}`]: 2 }))],
  ];
  for (const [name, data] of cases) sameAsReference(t, { ...base, data }, name);
  sameAsReference(t, { ...base, data: 1, extra: 'x' }, 'an event with a field beyond the envelope');
  sameAsReference(t, { ...base, data: undefined }, 'an event without data');
  sameAsReference(t, { ...base, data: 1, streamRevision: 1e21 }, 'an envelope number in exponent form');
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  sameAsReference(t, { ...base, data: cycle }, 'a cycle');
  t.throws(() => exportLine({ ...base, data: 'x\ud800' } as RecordedEvent), /Lone surrogate/);
});

t.test('a long line is hashed whole', async (t) => {
  const e = {
    id: 'a',
    type: 'T',
    stream: 'ledger',
    streamRevision: 0,
    globalPosition: 1,
    occurredAt: '2025-01-01',
    recordedAt: '2025-01-01T00:00:00.000Z',
    recordedBy: 'r',
    schemaVersion: 1,
    metadata: {},
  };
  for (const size of [10, 5000, 50_000, 2_000_000]) {
    const event = { ...e, data: { note: '€'.repeat(size) } } as RecordedEvent;
    t.ok(leafHashOfEvent(event).equals(referenceLeafHash(canonicalize(event)!)), `${size} characters`);
  }
});
