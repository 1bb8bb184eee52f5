/**
 * The edges of the rules that the first tests left open: each one a bug we
 * could plausibly write (see test/mutation/README.md for the mutation that
 * each of these was seen to catch). Given / when / then, like rules.test.ts.
 */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { RejectionError } from '../../src/ledger/rules.js';
import { given, NOW } from '../support/given.js';
import {
  close,
  departed,
  deployed,
  dispatch,
  donation,
  line,
  receipt,
  reversal,
  seizure,
  transfer,
  world,
} from '../support/fixtures.js';

t.test('a seizure from a holder inside the books takes no more than it holds', async (t) => {
  // The police seize from the mission's stock only what the mission has (e.g. a handover gone wrong).
  const gift = donation('us-inl', 'mss', [line('rifle', 10)]);
  given([...world(), gift])
    .when(seizure('mss', 'hnp', [line('rifle', 10)]))
    .thenAccepted(t);
  const rejection = given([...world(), gift])
    .when(seizure('mss', 'hnp', [line('rifle', 11)]))
    .thenRefused(t, 'holder-stock-insufficient', 'data.lines[0].quantity.value');
  t.match(rejection?.context, { holder: 'mss', itemType: 'rifle', asked: 11, onHand: 10 });
});

t.test('occurred-at-in-future: a few minutes of clock skew are allowed, not more', async (t) => {
  const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
  const minutes = 60 * 1000;
  given(world())
    .when(donation('us-inl', 'mss', [line('rifle', 1)], at(4 * minutes)))
    .thenAccepted(t);
  given(world())
    .when(donation('us-inl', 'mss', [line('rifle', 1)], at(5 * minutes)))
    .thenAccepted(t);
  given(world())
    .when(donation('us-inl', 'mss', [line('rifle', 1)], at(6 * minutes)))
    .thenRefused(t, 'occurred-at-in-future', 'occurredAt');
});

t.test(
  'occurredFrom has the same bounds as occurredAt: 1900 at the earliest, now and a few minutes at the latest',
  async (t) => {
    const ranged = (from: string, at: string): IncomingEvent => ({
      ...donation('us-inl', 'mss', [line('rifle', 1)], at),
      occurredFrom: from,
    });
    given(world()).when(ranged('1900-01-01T00:00:00.000Z', '1900-06-01')).thenAccepted(t);
    const early = given(world())
      .when(ranged('1899-12-31T23:59:59.999Z', '1900-06-01'))
      .thenRefused(t, 'occurred-before-earliest-date', 'occurredFrom');
    t.match(early, {
      detail: 'occurredFrom 1899-12-31T23:59:59.999Z is before 1900',
      context: { occurredFrom: '1899-12-31T23:59:59.999Z', earliest: /^1900-01-01/ },
    });
    const edge = new Date(NOW.getTime() + 5 * 60 * 1000).toISOString();
    given(world()).when(ranged(edge, edge)).thenAccepted(t);
  },
);

t.test('a movement of several items checks each item against its own stock', async (t) => {
  const history = [...world(), donation('us-inl', 'mss', [line('rifle', 10), line('apc', 4)])];
  given(history)
    .when(transfer('mss', 'hnp', [line('rifle', 10), line('apc', 4)]))
    .thenAccepted(t);
  given(history)
    .when(transfer('mss', 'hnp', [line('rifle', 6), line('rifle', 5)]))
    .thenRefused(t, 'holder-stock-insufficient', 'data.lines[1].quantity.value');
});

t.test('a reversed receipt is outstanding again: the whole quantity can be received again', async (t) => {
  const sent = dispatch('s1', 'us-inl', 'mss', [line('apc', 4)]);
  const got = receipt('s1', [line('apc', 4)]);
  const history = [...world(), sent, got, reversal(got.id ?? '')];
  given(history)
    .when(receipt('s1', [line('apc', 4)]))
    .thenAccepted(t);
  given(history)
    .when(receipt('s1', [line('apc', 5)]))
    .thenRefused(t, 'receipt-exceeds-dispatch');
});

t.test('a reversed closing puts what it wrote off back on the way: the rest can be received', async (t) => {
  const closing = close('s1');
  const history: IncomingEvent[] = [
    ...world(),
    dispatch('s1', 'us-inl', 'mss', [line('apc', 5)]),
    receipt('s1', [line('apc', 2)]),
    closing,
    reversal(closing.id ?? ''),
  ];
  given(history)
    .when(receipt('s1', [line('apc', 3)]))
    .thenAccepted(t);
  given(history)
    .when(receipt('s1', [line('apc', 4)]))
    .thenRefused(t, 'receipt-exceeds-dispatch');
});

t.test('a second reversal is refused by reversal-already-reversed, whatever the event', async (t) => {
  t.test('a departure: reversing it twice would bring back people who never were', async (t) => {
    const left = departed('kenya', 50);
    given([...world(), deployed('kenya', 200), left, reversal(left.id ?? '')])
      .when(reversal(left.id ?? ''))
      .thenRefused(t, 'reversal-already-reversed', 'data.eventId');
  });
  t.test('a closing: reversing it twice would reopen the write-off twice', async (t) => {
    const closing = close('s1');
    const history: IncomingEvent[] = [
      ...world(),
      dispatch('s1', 'us-inl', 'mss', [line('apc', 2)]),
      receipt('s1', [line('apc', 1)]),
      closing,
      reversal(closing.id ?? ''),
    ];
    given(history)
      .when(reversal(closing.id ?? ''))
      .thenRefused(t, 'reversal-already-reversed', 'data.eventId');
  });
});

t.test('a refusal thrown by the writer reads in a log as the rule, then the detail', async (t) => {
  const rejection = given(world())
    .when(transfer('mss', 'hnp', [line('rifle', 1)]))
    .thenRefused(t, 'holder-stock-insufficient');
  const error = new RejectionError(rejection!);
  t.equal(error.name, 'RejectionError');
  t.equal(error.message, 'holder-stock-insufficient: mss has 0 rifle on hand, 1 asked');
  t.equal(error.rejection, rejection, 'and carries the rejection itself');
});
