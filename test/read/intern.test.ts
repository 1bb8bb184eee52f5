/**
 * internStrings shares equal strings across a restored checkpoint. It must change nothing else:
 * the same values in the same places, Maps and Sets in the same order, typed arrays untouched,
 * shared and cyclic references kept, and the value changed in place.
 */
import fc from 'fast-check';
import t from 'tap';
import { internStrings } from '../../src/read/intern.js';

// A small alphabet, so that equal strings turn up in many places.
const text = fc.string({ unit: fc.constantFrom('a', 'b', 'é', '𝄞'), maxLength: 3 });
const leaf = fc.oneof(text, fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null));

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4, noNullPrototype: true }),
    fc.array(fc.tuple(fc.oneof(text, fc.integer()), tie('value')), { maxLength: 4 }).map((entries) => new Map(entries)),
    fc.array(fc.oneof(text, fc.integer()), { maxLength: 4 }).map((items) => new Set(items)),
    fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 4 }).map((bytes) => Uint8Array.from(bytes)),
    fc.array(fc.double({ noNaN: true }), { maxLength: 3 }).map((numbers) => Float64Array.from(numbers)),
  ),
}));

/** Equal values in the same order: objects' keys, Maps' and Sets' entries, typed arrays' type and bytes. */
function sameInOrder(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null) return Object.is(a, b);
  if (typeof b !== 'object' || b === null || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (ArrayBuffer.isView(a))
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
      Buffer.from((b as ArrayBufferView).buffer, (b as ArrayBufferView).byteOffset, (b as ArrayBufferView).byteLength),
    );
  const pairs = (v: object): unknown[] =>
    v instanceof Map ? [...v].flat() : v instanceof Set ? [...v] : Object.entries(v).flat();
  const [x, y] = [pairs(a), pairs(b)];
  return x.length === y.length && x.every((item, i) => sameInOrder(item, y[i]));
}

/**
 * Every string in a value, found by a walk of its own: Maps' keys and values, Sets' and arrays'
 * items, objects' values, at any depth. (An object's own keys are not interned: V8 already keeps
 * one copy of each property name.)
 */
function stringsIn(v: unknown, found = new Set<string>()): Set<string> {
  if (typeof v === 'string') found.add(v);
  else if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) {
    const parts = v instanceof Map ? [...v].flat() : v instanceof Set ? [...v] : Object.values(v);
    for (const part of parts) stringsIn(part, found);
  }
  return found;
}

t.test('every string of a value goes through the table, at any depth', async (t) => {
  fc.assert(
    fc.property(value, (original) => {
      const expected = [...stringsIn(original)].sort();
      const table = new Map<string, string>();
      internStrings(original, table);
      return JSON.stringify([...table.keys()].sort()) === JSON.stringify(expected);
    }),
    { numRuns: 2000 },
  );
  t.pass('2,000 arbitrary values');
});

t.test('interning changes no value, no order and no typed array, in place', async (t) => {
  fc.assert(
    fc.property(value, (original) => {
      const before = structuredClone(original);
      const result = internStrings(original);
      if (typeof original === 'object' && original !== null && result !== original) return false;
      return sameInOrder(result, before);
    }),
    { numRuns: 2000 },
  );
  t.pass('2,000 arbitrary values');
});

t.test('shared and cyclic references stay as they were', async (t) => {
  const line = { itemType: 'rifle', quantity: 3 };
  const shipment: Record<string, unknown> = { id: 'shp-1', lines: [line, line] };
  shipment.self = shipment;
  const state = { shipments: new Map([['shp-1', shipment]]), also: line };
  const result = internStrings(state);
  const kept = result.shipments.get('shp-1')!;
  t.equal(kept, shipment, 'the same object');
  t.equal(kept.self, kept, 'the cycle is kept');
  t.equal((kept.lines as unknown[])[0], (kept.lines as unknown[])[1], 'a shared object is still shared');
  t.equal(result.also, line);
  t.same(line, { itemType: 'rifle', quantity: 3 });
});

t.test('one table shares strings across values', async (t) => {
  const table = new Map<string, string>();
  internStrings({ a: 'party-1', b: ['party-2'] }, table);
  internStrings(new Map([['party-1', 'party-3']]), table);
  t.same([...table.keys()].sort(), ['party-1', 'party-2', 'party-3'], 'every distinct string once');
});
