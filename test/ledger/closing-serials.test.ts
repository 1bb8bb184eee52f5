/**
 * Closing a shipment short writes off quantities, not serial numbers: given a shipment whose
 * serial-numbered items were partly received, when it is closed (or the closing is reversed), then
 * no serial changes hands in the book: the ones never received are still on the way, and can
 * still be received by the same serials if the closing is reversed.
 */
import t from 'tap';
import { dispatch, line, receipt, reversal, close, world, donation } from '../support/fixtures.js';
import { bookOf, given, record } from '../support/given.js';

const serialsOf = (history: Parameters<typeof record>[0]) =>
  [...bookOf(record(history)).serials].sort(([a], [b]) => a.localeCompare(b));

t.test('closing a shipment, or reversing the closing, moves no serial', async (t) => {
  const closing = close('s1');
  const sent = [
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 3, ['AK-1', 'AK-2', 'AK-3'])]),
    dispatch('s1', 'mss', 'hnp', [line('rifle', 3, ['AK-1', 'AK-2', 'AK-3'])], '2025-02-11'),
    receipt('s1', [line('rifle', 1, ['AK-1'])], '2025-02-12'),
  ];
  const before = serialsOf(sent);
  t.same(before, [
    ['AK-1', 'hnp'],
    ['AK-2', 'transit:s1'],
    ['AK-3', 'transit:s1'],
  ]);
  t.same(serialsOf([...sent, closing]), before, 'closing leaves every serial where it was');
  t.same(serialsOf([...sent, closing, reversal(closing.id!)]), before, 'and so does reversing the closing');

  given([...sent, closing, reversal(closing.id!)])
    .when(receipt('s1', [line('rifle', 2, ['AK-2', 'AK-3'])], '2025-03-01'))
    .thenAccepted(t);
});
