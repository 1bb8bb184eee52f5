/**
 * parseInstant reads stored instants by hand, for speed: it must agree with
 * Date.parse on every string, the canonical ones it reads and all it passes on.
 */
import fc from 'fast-check';
import t from 'tap';
import { instantParser, parseInstant } from '../../events/index.js';

const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

t.test('a stored instant reads as the milliseconds it was written from', async (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: Date.parse('0100-01-01T00:00:00Z'), max: Date.parse('9999-12-31T23:59:59Z') }),
      (ms) => {
        const s = new Date(ms).toISOString();
        if (parseInstant(s) !== ms) throw new Error(`${s}: ${parseInstant(s)} != ${ms}`);
      },
    ),
    { numRuns: 2000 },
  );
  t.pass('2,000 instants read back exactly');
});

t.test('every other string reads as Date.parse reads it', async (t) => {
  const digits = (n: number) =>
    fc.array(fc.constantFrom(...'0123456789'), { minLength: n, maxLength: n }).map((d) => d.join(''));
  // The canonical shape with any digits (30 February, 24 o'clock, month 13 …), and strings of any shape.
  const canonicalShape = fc
    .tuple(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2), digits(3))
    .map(([y, mo, d, h, mi, s, ms]) => `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
  const others = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom('2025-02-10', '2025-02-10T14:00:00Z', '2025-02-10T14:00:00.000+01:00', '2025-02-10T14:00:00.000z'),
  );
  fc.assert(
    fc.property(fc.oneof(canonicalShape, others), (s) => {
      if (!same(parseInstant(s), Date.parse(s))) throw new Error(`${s}: ${parseInstant(s)} != ${Date.parse(s)}`);
    }),
    { numRuns: 5000 },
  );
  for (const s of [
    '2024-02-29T23:59:59.999Z',
    '2025-02-29T00:00:00.000Z',
    '2025-04-31T00:00:00.000Z',
    '0099-01-01T00:00:00.000Z',
  ])
    t.ok(same(parseInstant(s), Date.parse(s)), s);
});

t.test('the remembering parser answers each string as parseInstant does', async (t) => {
  const parse = instantParser();
  const inputs = [
    '2025-02-10T14:00:00.000Z',
    '2025-02-10T14:00:00.000Z',
    '2025-02-11T00:00:00.000Z',
    'nonsense',
    '2025-02-10T14:00:00.000Z',
  ];
  t.same(
    inputs.map((s) => parse(s)),
    inputs.map((s) => parseInstant(s)),
  );
});
