/**
 * parseInstant reads stored instants by hand, for speed: it must agree with
 * Date.parse on every string, the canonical ones it reads and all it passes on.
 * toInstant returns what is already canonical as it is: it must agree with the
 * Date round trip on every string, and throw where that throws.
 */
import fc from 'fast-check';
import t from 'tap';
import { instantParser, parseInstant, toInstant } from '../../events/index.js';

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

t.test('every other string reads as Date.parse reads it', async (t) => {
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

/** What `new Date(…).toISOString()` makes of a value as toInstant reads it: the instant, or the error's name. */
function roundTrip(value: string): string {
  try {
    return new Date(value.length === 10 ? `${value}T00:00:00.000Z` : value).toISOString();
  } catch (error) {
    return (error as Error).name;
  }
}

function outcome(value: string): string {
  try {
    return toInstant(value);
  } catch (error) {
    return (error as Error).name;
  }
}

t.test('toInstant answers every string as the Date round trip does, or throws as it throws', async (t) => {
  const bareDate = fc.tuple(digits(4), digits(2), digits(2)).map(([y, mo, d]) => `${y}-${mo}-${d}`);
  fc.assert(
    fc.property(fc.oneof(canonicalShape, bareDate, others), (s) => {
      if (outcome(s) !== roundTrip(s)) throw new Error(`${s}: ${outcome(s)} != ${roundTrip(s)}`);
    }),
    { numRuns: 5000 },
  );
  const cases = [
    '2025-03-01',
    '2024-02-29',
    '2025-02-29',
    '0099-01-01',
    '2025-02-10T14:00:00Z',
    '2025-02-10T14:00:00.000+01:00',
    '2025-02-10T14:00:00.000Z',
    '2025-02-10T24:00:00.000Z',
    '2025-13-01T00:00:00.000Z',
  ];
  t.same(cases.map(outcome), cases.map(roundTrip));
  t.equal(toInstant('2025-03-01'), '2025-03-01T00:00:00.000Z', 'a bare date is the start of its day');
  t.equal(toInstant('2025-02-10T14:00:00.000+01:00'), '2025-02-10T13:00:00.000Z', 'an offset is moved to UTC');
  t.equal(outcome('2025-13-01'), 'RangeError', 'a month that is not is refused as Date refuses it');
  t.equal(outcome('2025-02-30'), '2025-03-02T00:00:00.000Z', '30 February rolls over as Date rolls it');
});
