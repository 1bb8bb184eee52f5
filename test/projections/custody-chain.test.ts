/**
 * Chain of custody, the cases the first examples leave open: given movements of serial-numbered
 * items mixed with lines that carry no serials, backdated and same-day moves, slices by asOf and
 * knownAt, and a checkpoint's round trip, then each item's chain as an auditor reads it.
 */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { custodyAt, emptyCustody, evolveCustody, exportCustody, restoreCustody } from '../../projections/custody.js';
import { donation, expended, line, reversal, transfer, world } from '../support/fixtures.js';
import { foldAll } from '../support/fold.js';
import { record } from '../support/given.js';

const NOW = Number.MAX_SAFE_INTEGER;
const custodyOf = (history: IncomingEvent[]) => {
  const custody = emptyCustody();
  foldAll(record(history), (event, shipments) => evolveCustody(custody, event, shipments));
  return custody;
};
/** world() is 7 events: the first movement is at position 8. */
const FIRST = 8;
const chainOf = (view: ReturnType<typeof custodyAt>) =>
  view?.chain.map(
    (c) => `${c.receivedFrom}>${c.holder} ${c.from.slice(0, 10)}..${c.until?.slice(0, 10) ?? ''} @${c.position}`,
  );

t.test('a line without serials beside one with serials: each serial follows its own line', async (t) => {
  const custody = custodyOf([
    ...world(),
    donation('us-inl', 'mss', [line('rounds', 500), line('rifle', 1, ['AK-1']), line('apc', 1, ['APC-1'])]),
    transfer('mss', 'hnp', [line('apc', 1, ['APC-1']), line('rounds', 100)], '2025-03-01'),
  ]);
  t.match(custodyAt(custody, 'AK-1', NOW, NOW), { itemType: 'rifle', holder: 'mss', assigned: false });
  t.match(custodyAt(custody, 'APC-1', NOW, NOW), { itemType: 'apc', holder: 'hnp' });
  t.same(chainOf(custodyAt(custody, 'APC-1', NOW, NOW)), [
    `us-inl>mss 2025-02-10..2025-03-01 @${FIRST}`,
    `mss>hnp 2025-03-01.. @${FIRST + 1}`,
  ]);
});

t.test('an event without serials leaves every chain as it was', async (t) => {
  const custody = custodyOf([
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 2, ['AK-1', 'AK-2'])]),
    transfer('mss', 'hnp', [line('rifle', 1)], '2025-03-01'),
  ]);
  t.same(chainOf(custodyAt(custody, 'AK-1', NOW, NOW)), [`us-inl>mss 2025-02-10.. @${FIRST}`]);
  t.equal(custody.log.has('rifle'), false);
});

t.test('a backdated move takes its place by date; moves on the same day keep their recording order', async (t) => {
  const custody = custodyOf([
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 1, ['AK-1'])], '2025-02-10'),
    transfer('mss', 'hnp', [line('rifle', 1, ['AK-1'])], '2025-04-01'),
    // Recorded later, happened earlier: the mission lent it to the police in March, and got it back.
    transfer('mss', 'hnp', [line('rifle', 1, ['AK-1'])], '2025-03-01'),
    transfer('hnp', 'mss', [line('rifle', 1, ['AK-1'])], '2025-03-01'),
  ]);
  t.same(chainOf(custodyAt(custody, 'AK-1', NOW, NOW)), [
    `us-inl>mss 2025-02-10..2025-03-01 @${FIRST}`,
    `mss>hnp 2025-03-01..2025-03-01 @${FIRST + 2}`,
    `hnp>mss 2025-03-01..2025-04-01 @${FIRST + 3}`,
    `mss>hnp 2025-04-01.. @${FIRST + 1}`,
  ]);
  t.equal(custodyAt(custody, 'AK-1', NOW, NOW)?.holder, 'hnp', 'the holder is the last link by date');
  t.equal(custodyAt(custody, 'AK-1', Date.parse('2025-03-15'), NOW)?.holder, 'mss', 'as of mid-March');
});

t.test(
  'asOf and knownAt: before its first move a serial has no chain; a move counts from its very instant',
  async (t) => {
    const custody = custodyOf([
      ...world(),
      donation('us-inl', 'mss', [line('rifle', 1, ['AK-1'])], '2025-02-10'),
      transfer('mss', 'hnp', [line('rifle', 1, ['AK-1'])], '2025-03-01'),
    ]);
    t.equal(custodyAt(custody, 'AK-1', Date.parse('2025-02-10') - 1, NOW), undefined, 'the instant before');
    t.equal(custodyAt(custody, 'AK-1', Date.parse('2025-02-10'), NOW)?.holder, 'mss', 'the very instant');
    t.equal(custodyAt(custody, 'AK-1', Date.parse('2025-03-01'), NOW)?.holder, 'hnp');
    t.equal(custodyAt(custody, 'AK-1', NOW, FIRST - 1), undefined, 'known before its first move was recorded');
    t.equal(custodyAt(custody, 'AK-1', NOW, FIRST)?.holder, 'mss', 'known at its first move');
    t.same(chainOf(custodyAt(custody, 'AK-1', NOW, FIRST)), [`us-inl>mss 2025-02-10.. @${FIRST}`]);
  },
);

t.test(
  'a reversal counts from the position it was recorded at; reversing an event without serials changes nothing',
  async (t) => {
    const move = transfer('mss', 'hnp', [line('rifle', 1, ['AK-1'])], '2025-03-01');
    const plain = transfer('mss', 'hnp', [line('rounds', 5)], '2025-03-02');
    const custody = custodyOf([
      ...world(),
      donation('us-inl', 'mss', [line('rifle', 1, ['AK-1']), line('rounds', 50)]),
      move,
      plain,
      reversal(plain.id!),
      reversal(move.id!),
    ]);
    const reversedAt = FIRST + 4;
    t.equal(custodyAt(custody, 'AK-1', NOW, reversedAt - 1)?.holder, 'hnp', 'known just before the reversal');
    t.equal(custodyAt(custody, 'AK-1', NOW, reversedAt)?.holder, 'mss', 'known at the reversal');
    t.same(chainOf(custodyAt(custody, 'AK-1', NOW, NOW)), [`us-inl>mss 2025-02-10.. @${FIRST}`]);
  },
);

t.test('a reversed first move: the serial has no chain', async (t) => {
  const gift = donation('us-inl', 'mss', [line('rifle', 1, ['AK-1'])]);
  const custody = custodyOf([...world(), gift, reversal(gift.id!)]);
  t.equal(custodyAt(custody, 'AK-1', NOW, NOW), undefined);
  t.equal(custodyAt(custody, 'AK-1', NOW, FIRST)?.holder, 'mss', 'as known before the reversal');
});

t.test('a checkpoint of custody restores the same chains, and folds on from there', async (t) => {
  const custody = custodyOf([
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 2, ['AK-1', 'AK-2'])]),
    transfer('mss', 'hnp', [line('rifle', 1, ['AK-2'])], '2025-03-01'),
  ]);
  const restored = restoreCustody(structuredClone(exportCustody(custody)));
  for (const serial of ['AK-1', 'AK-2'])
    t.same(custodyAt(restored, serial, NOW, NOW), custodyAt(custody, serial, NOW, NOW), serial);
  const later = record([
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 1, ['AK-3'])]),
    transfer('mss', 'hnp', [line('rifle', 1, ['AK-1'])], '2025-04-01'),
  ]).slice(7);
  for (const event of later)
    evolveCustody(restored, { ...event, globalPosition: event.globalPosition + 10 }, () => undefined);
  t.equal(custodyAt(restored, 'AK-1', NOW, NOW)?.holder, 'hnp');
  t.equal(custodyAt(restored, 'AK-3', NOW, NOW)?.holder, 'mss');
  t.equal(custodyAt(custody, 'AK-3', NOW, NOW), undefined, 'the original is not shared with the restored copy');
});

t.test('an expended item’s chain ends with the expenditure and its reason', async (t) => {
  const custody = custodyOf([
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 2, ['AK-1', 'AK-2'])]),
    expended('mss', [line('rifle', 1, ['AK-1'])], '2025-04-01'),
  ]);
  t.same(chainOf(custodyAt(custody, 'AK-1', NOW, NOW)), [
    `us-inl>mss 2025-02-10..2025-04-01 @${FIRST}`,
    `mss>expended:destroyed 2025-04-01.. @${FIRST + 1}`,
  ]);
  t.equal(custodyAt(custody, 'AK-2', NOW, NOW)?.holder, 'mss');
});
