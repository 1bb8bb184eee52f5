/**
 * ledger-total-unsafe at the 2^53 edge: random donations, pledges, transfers, shipments,
 * deployments and reversals with huge quantities (up to 500 lines of 10^12). For every
 * sequence the rules accept, conservation holds to the unit (checked against exact BigInt
 * sums of the same postings) and every figure the book and the projections keep is a safe
 * integer; whatever is refused for size really would have passed Number.MAX_SAFE_INTEGER.
 */
import fc from 'fast-check';
import t from 'tap';
import type { IncomingEvent, LedgerEvent } from '../../events/index.js';
import { EXTERNAL_PARTY_KINDS } from '../../events/party-kinds.js';
import { emptyCatalog, evolveCatalog } from '../../projections/catalog.js';
import { applyDeltas, type Counters } from '../../events/counters.js';
import { donorDeltas, donorsView } from '../../projections/donors.js';
import { evolveInventory, inventoryView } from '../../projections/inventory.js';
import { evolvePersonnel, personnelView } from '../../projections/personnel.js';
import { toProposal } from '../../src/http/routes/events.js';
import { evolveBook, headcountKey, LEDGER_STREAM, type Book } from '../../src/ledger/book.js';
import { decide } from '../../src/ledger/decide.js';
import { amountsOf } from '../../src/ledger/limits.js';
import {
  headcountDeltas,
  isTransitAccount,
  postingsOf,
  reversingHeadcount,
  reversingPostings,
  type FoldEvent,
} from '../../events/postings.js';
import type { RuleName } from '../../src/ledger/rules.js';
import {
  close,
  deployed,
  departed,
  dispatch,
  donation,
  itemType,
  newId,
  qty,
  receipt,
  reversal,
  seizure,
  transfer,
  world,
} from '../support/fixtures.js';
import { foldAll } from '../support/fold.js';
import { bookOf, NOW, record } from '../support/given.js';

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const LINE_CAP = 1_000_000_000_000;
const ITEMS = ['rifle', 'handgun', 'apc'] as const;
const line = (itemType: string, value: number) => ({ itemType, quantity: qty(value) });

/** Refusals a random sequence may meet besides the one under test; anything else is a bug. */
const EXPECTED_REFUSALS = new Set<RuleName>([
  'ledger-total-unsafe',
  'holder-stock-insufficient',
  'contingent-headcount-insufficient',
  'receipt-exceeds-dispatch',
  'shipment-closed',
  'shipment-unknown',
  'shipment-has-receipts',
  'reversal-already-reversed',
  'reversal-of-reversal',
  'reversal-not-supported',
  'receipt-item-not-dispatched',
]);

const huge = fc.oneof(
  fc.integer({ min: LINE_CAP - 1000, max: LINE_CAP }),
  fc.integer({ min: 1, max: LINE_CAP }),
  fc.integer({ min: 1, max: 5 }),
);
const item = fc.constantFrom(...ITEMS);
const manyLines = fc.array(fc.tuple(item, huge), { minLength: 1, maxLength: 500 });

type Action =
  | { kind: 'donate'; lines: [string, number][] }
  | { kind: 'pledge'; lines: [string, number][] }
  | { kind: 'seize'; lines: [string, number][] }
  | { kind: 'transfer'; forward: boolean; lines: [string, number][] }
  | { kind: 'dispatch'; lines: [string, number][] }
  | { kind: 'receive'; pick: number; lines: [string, number][] }
  | { kind: 'close'; pick: number }
  | { kind: 'deploy'; count: number }
  | { kind: 'depart'; count: number }
  | { kind: 'reverse'; pick: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('donate' as const), lines: manyLines }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('pledge' as const), lines: manyLines }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('seize' as const), lines: manyLines }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('transfer' as const),
      forward: fc.boolean(),
      lines: fc.array(fc.tuple(item, huge), { minLength: 1, maxLength: 5 }),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('dispatch' as const), lines: manyLines }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('receive' as const),
      pick: fc.nat(),
      lines: fc.array(fc.tuple(item, huge), { minLength: 1, maxLength: 3 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('close' as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('deploy' as const), count: huge }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('depart' as const), count: huge }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('reverse' as const), pick: fc.nat() }), weight: 2 },
);

const lines = (pairs: [string, number][]) => pairs.map(([i, v]) => line(i, v));
/** 18 donations of 500 lines of 10^12 reach 9 × 10^15: a prefix of n of them starts a run near the edge. */
const fullDonation = () =>
  donation(
    'us-inl',
    'mss',
    Array.from({ length: 500 }, () => line('rifle', LINE_CAP)),
  );

/** Exact stock per account and item, and headcount per key: BigInt sums of the same postings the book folds. */
class Exact {
  stock = new Map<string, bigint>();
  headcount = new Map<string, bigint>();
  recorded = 0n;
  apply(event: FoldEvent, book: Book): void {
    const lookup = (id: string) => book.shipments.get(id);
    const reversed = event.type === 'EntryReversed';
    const target = event.type === 'EntryReversed' ? event.target : undefined;
    const postings = target ? reversingPostings(target, lookup) : reversed ? [] : postingsOf(event, lookup);
    for (const p of postings) {
      this.add(this.stock, `${p.from}|${p.itemType}`, -BigInt(p.value));
      this.add(this.stock, `${p.to}|${p.itemType}`, BigInt(p.value));
    }
    const deltas = target ? reversingHeadcount(target) : reversed ? [] : headcountDeltas(event);
    for (const d of deltas) this.add(this.headcount, headcountKey(d.country, d.role), BigInt(d.delta));
  }
  private add(map: Map<string, bigint>, key: string, delta: bigint) {
    map.set(key, (map.get(key) ?? 0n) + delta);
  }
}

function run(prefix: number, actions: Action[]) {
  const history = [...world(), itemType('handgun', 'firearm'), ...Array.from({ length: prefix }, fullDonation)];
  const recorded: LedgerEvent[] = record(history);
  const book = bookOf(recorded);
  const exact = new Exact();
  // The prefix, replayed exactly.
  for (const e of recorded) exact.apply(e as FoldEvent, book);
  exact.recorded = BigInt(book.amountRecorded);
  const shipments: string[] = [];
  const refusals: RuleName[] = [];
  const problems: string[] = [];

  for (const a of actions) {
    const pick = <T>(list: readonly T[], n: number) => (list.length ? list[n % list.length] : undefined);
    let incoming: IncomingEvent;
    switch (a.kind) {
      case 'donate':
        incoming = donation('us-inl', 'mss', lines(a.lines));
        break;
      case 'pledge':
        incoming = { ...donation('us-inl', 'mss', lines(a.lines)), type: 'DonationPledged' } as IncomingEvent;
        break;
      case 'seize':
        incoming = seizure('gang-5-segonn', 'hnp', lines(a.lines));
        break;
      case 'transfer':
        incoming = a.forward ? transfer('mss', 'hnp', lines(a.lines)) : transfer('hnp', 'mss', lines(a.lines));
        break;
      case 'dispatch': {
        const id = `s-${newId()}`;
        shipments.push(id);
        incoming = dispatch(id, 'us-inl', 'mss', lines(a.lines));
        break;
      }
      case 'receive':
        incoming = receipt(pick(shipments, a.pick) ?? 'none', lines(a.lines));
        break;
      case 'close':
        incoming = close(pick(shipments, a.pick) ?? 'none');
        break;
      case 'deploy':
        incoming = deployed('kenya', a.count);
        break;
      case 'depart':
        incoming = departed('kenya', a.count);
        break;
      case 'reverse':
        incoming = reversal(pick(recorded.slice(history.length - prefix), a.pick)?.id ?? recorded[0]!.id);
        break;
    }
    const proposal = toProposal(incoming);
    const target = proposal.type === 'EntryReversed' ? recorded.find((e) => e.id === proposal.data.eventId) : undefined;
    const foldable = { ...proposal, ...(target ? { target } : {}) } as unknown as FoldEvent;
    const wouldAdd = amountsOf(foldable, (id) => book.shipments.get(id)).reduce((s, x) => s + BigInt(x.value), 0n);
    const decision = decide(proposal, book, { now: NOW, target });
    if (!decision.ok) {
      const rule = decision.rejection.rule;
      refusals.push(rule);
      if (!EXPECTED_REFUSALS.has(rule)) problems.push(`unexpected refusal ${rule}: ${decision.rejection.detail}`);
      if (rule === 'ledger-total-unsafe' && exact.recorded + wouldAdd <= MAX)
        problems.push(`refused for size, but ${exact.recorded} + ${wouldAdd} fits`);
      continue;
    }
    if (exact.recorded + wouldAdd > MAX) problems.push(`accepted although ${exact.recorded} + ${wouldAdd} > 2^53 - 1`);
    const stored = {
      ...proposal,
      stream: LEDGER_STREAM,
      streamRevision: recorded.length,
      globalPosition: recorded.length + 1,
      recordedAt: NOW.toISOString(),
      recordedBy: 'test',
    } as LedgerEvent;
    recorded.push(stored);
    const event = { ...stored, ...(target ? { target } : {}) } as FoldEvent;
    exact.apply(event, book);
    exact.recorded += wouldAdd;
    evolveBook(book, event);
    if (BigInt(book.amountRecorded) !== exact.recorded)
      problems.push(`running total ${book.amountRecorded}, exactly ${exact.recorded}`);
  }
  return { book, exact, recorded, refusals, problems };
}

/** Every number in a view, with its path. */
function* numbersIn(value: unknown, path = ''): Generator<[string, number]> {
  if (typeof value === 'number') yield [path, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* numbersIn(v, `${path}[${i}]`);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) yield* numbersIn(v, `${path}.${k}`);
}

t.test('at the 2^53 edge no accepted event breaks conservation or makes a figure inexact', async (t) => {
  let sizeRefusals = 0;
  let accepted = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 18 }),
      fc.array(action, { minLength: 1, maxLength: 30 }),
      (prefix, actions) => {
        const { book, exact, recorded, refusals, problems } = run(prefix, actions);
        sizeRefusals += refusals.filter((r) => r === 'ledger-total-unsafe').length;
        accepted += actions.length - refusals.length;
        if (problems.length) throw new Error(problems.join('\n'));

        // The book: every figure a safe integer and equal to the exact sum; per item, all accounts sum to zero.
        if (!Number.isSafeInteger(book.amountRecorded)) throw new Error('running total not a safe integer');
        const perItem = new Map<string, bigint>();
        for (const [account, items] of book.stock)
          for (const [itemType, quantity] of items) {
            if (!Number.isSafeInteger(quantity)) throw new Error(`${account} ${itemType}: ${quantity} is not safe`);
            if (BigInt(quantity) !== (exact.stock.get(`${account}|${itemType}`) ?? 0n))
              throw new Error(
                `${account} ${itemType}: book ${quantity}, exactly ${exact.stock.get(`${account}|${itemType}`)}`,
              );
            perItem.set(itemType, (perItem.get(itemType) ?? 0n) + BigInt(quantity));
          }
        for (const [itemType, sum] of perItem) if (sum !== 0n) throw new Error(`${itemType} does not balance: ${sum}`);
        for (const [key, count] of exact.headcount)
          if (BigInt(book.headcount.get(key) ?? 0) !== count) throw new Error(`headcount ${key} drifted`);
        for (const s of book.shipments.values())
          for (const l of s.lines)
            for (const n of [l.dispatched, l.received, l.writtenOff])
              if (!Number.isSafeInteger(n)) throw new Error(`shipment line ${n} is not safe`);

        // The projections, folded from the accepted events: safe everywhere, category totals exact.
        const catalog = emptyCatalog();
        const inventory: Counters = new Map();
        const donors: Counters = new Map();
        const personnel: Counters = new Map();
        foldAll(recorded, (event, shipments) => {
          evolveCatalog(catalog, event);
          evolveInventory(inventory, event, shipments);
          applyDeltas(donors, donorDeltas(event, shipments, catalog));
          evolvePersonnel(personnel, event);
        });
        const views = {
          inventory: inventoryView(inventory, catalog),
          donors: donorsView(donors, catalog),
          personnel: personnelView(personnel),
        };
        for (const [path, n] of numbersIn(views))
          if (!Number.isSafeInteger(n)) throw new Error(`${path} = ${n} is not a safe integer`);
        const onHand = new Map<string, bigint>();
        const inTransit = new Map<string, bigint>();
        for (const [key, quantity] of exact.stock) {
          const [account = '', itemType = ''] = key.split('|');
          const category = catalog.itemTypes.get(itemType)?.category ?? 'unknown';
          if (isTransitAccount(account)) inTransit.set(category, (inTransit.get(category) ?? 0n) + quantity);
          else {
            const party = catalog.parties.get(account);
            if (party && !EXTERNAL_PARTY_KINDS.has(party.kind))
              onHand.set(category, (onHand.get(category) ?? 0n) + quantity);
          }
        }
        for (const total of views.inventory.totals) {
          if (BigInt(total.onHand) !== (onHand.get(total.category) ?? 0n))
            throw new Error(`${total.category} on hand ${total.onHand}, exactly ${onHand.get(total.category)}`);
          if (BigInt(total.inTransit) !== (inTransit.get(total.category) ?? 0n))
            throw new Error(
              `${total.category} in transit ${total.inTransit}, exactly ${inTransit.get(total.category)}`,
            );
        }
      },
    ),
    { numRuns: 60, seed: 20261201 },
  );
  t.ok(sizeRefusals > 0, `the edge was reached: ${sizeRefusals} events refused for size`);
  t.ok(accepted > 0, `and ${accepted} random events accepted`);
});

t.test('the running total counts every recording: a pledge, and its reversal, add to it', async (t) => {
  const gifts: IncomingEvent = {
    id: newId(),
    type: 'DonationPledged',
    occurredAt: '2025-01-10',
    data: { donor: 'us-inl', recipient: 'mss', lines: [line('rifle', 5), line('apc', 3)] },
  };
  const troops: IncomingEvent = {
    id: newId(),
    type: 'PersonnelPledged',
    occurredAt: '2025-01-10',
    data: { country: 'kenya', role: 'police', count: { value: 7, precision: 'exact' } },
  };
  const pledged = bookOf(record([...world(), gifts, troops]));
  t.equal(pledged.amountRecorded, 15, 'the pledges count');
  const reversed = bookOf(record([...world(), gifts, troops, reversal(gifts.id!), reversal(troops.id!)]));
  t.equal(reversed.amountRecorded, 30, 'and so do their reversals: the total only grows');

  const closing = close('s1');
  const shipped = [...world(), dispatch('s1', 'us-inl', 'mss', [line('apc', 5)]), receipt('s1', [line('apc', 2)])];
  t.equal(bookOf(record([...shipped, closing])).amountRecorded, 10, 'a closing counts the 3 it writes off');
  t.equal(
    bookOf(record([...shipped, closing, reversal(closing.id!)])).amountRecorded,
    13,
    'and its reversal the 3 it puts back on the way',
  );
});

t.test('ledger-total-unsafe names the line that crosses the edge; reversing needs room too', async (t) => {
  const history = [...world(), ...Array.from({ length: 18 }, fullDonation)];
  const book = bookOf(record(history));
  t.equal(book.amountRecorded, 18 * 500 * LINE_CAP, 'the book counts what was recorded');
  const room = Number.MAX_SAFE_INTEGER - book.amountRecorded;
  const fits = toProposal(donation('us-inl', 'mss', [line('rifle', room)]));
  t.ok(decide(fits, book, { now: NOW }).ok, 'up to 2^53 - 1 exactly is accepted');
  const over = toProposal(donation('us-inl', 'mss', [line('rifle', 1), line('rifle', room)]));
  const decision = decide(over, book, { now: NOW });
  t.match(decision, {
    ok: false,
    rejection: {
      rule: 'ledger-total-unsafe',
      field: 'data.lines[1].quantity.value',
      context: { recordedSoFar: book.amountRecorded, limit: Number.MAX_SAFE_INTEGER },
    },
  });
  // A transfer within the mission moves stock too, and so counts.
  const moved = toProposal(transfer('mss', 'hnp', [line('rifle', room + 1)]));
  t.match(decide(moved, book, { now: NOW }), { ok: false, rejection: { rule: 'ledger-total-unsafe' } });
});

t.test(
  'at the edge every kind of recording needs room: receipts, pledges and reversals, each naming its field',
  async (t) => {
    const gift = donation('us-inl', 'mss', [line('rifle', 4)]);
    const troops = deployed('kenya', 6);
    const promised: IncomingEvent = {
      id: newId(),
      type: 'PersonnelPledged',
      occurredAt: '2025-01-10',
      data: { country: 'kenya', role: 'police', count: qty(9) },
    };
    const goods: IncomingEvent = {
      id: newId(),
      type: 'DonationPledged',
      occurredAt: '2025-01-10',
      data: { donor: 'us-inl', recipient: 'mss', lines: [line('apc', 8)] },
    };
    const history = [...world(), gift, troops, promised, goods, ...Array.from({ length: 18 }, fullDonation)];
    const book = bookOf(record(history));
    const room = Number.MAX_SAFE_INTEGER - book.amountRecorded;
    const refusal = (event: IncomingEvent, target?: IncomingEvent) => {
      const decision = decide(toProposal(event), book, {
        now: NOW,
        target: target && record([target])[0],
      });
      return decision.ok ? undefined : [decision.rejection.rule, decision.rejection.field];
    };
    t.same(
      refusal({ ...promised, id: newId(), data: { country: 'kenya', role: 'police', count: qty(room + 1) } }),
      ['ledger-total-unsafe', 'data.count.value'],
      'a pledge of people',
    );
    t.same(refusal(donation('us-inl', 'mss', [line('rifle', room), line('rifle', 1)])), [
      'ledger-total-unsafe',
      'data.lines[1].quantity.value',
    ]);
    t.same(
      refusal({
        ...goods,
        id: newId(),
        data: { donor: 'us-inl', recipient: 'mss', lines: [line('apc', 1), line('apc', room)] },
      }),
      ['ledger-total-unsafe', 'data.lines[1].quantity.value'],
      'a pledge of goods names its line',
    );
    t.match(decide(toProposal(deployed('haiti', room + 1)), book, { now: NOW }), {
      ok: false,
      rejection: {
        detail: `recording this would take the ledger's running total of quantities past ${Number.MAX_SAFE_INTEGER}, beyond which sums are no longer exact`,
      },
    });

    // Reversals count what they take back: here more than the room left.
    const full = bookOf(record([...history, donation('us-inl', 'mss', [line('apc', room - 3)])]));
    const reverse = (target: IncomingEvent) => {
      const decision = decide(toProposal(reversal(target.id!)), full, { now: NOW, target: record([target])[0] });
      return decision.ok ? undefined : [decision.rejection.rule, decision.rejection.field];
    };
    t.same(reverse(gift), ['ledger-total-unsafe', 'data.eventId'], 'reversing a donation');
    t.same(reverse(troops), ['ledger-total-unsafe', 'data.eventId'], 'reversing a deployment');
    t.same(reverse(promised), ['ledger-total-unsafe', 'data.eventId'], 'reversing a pledge of people');
    t.same(reverse(goods), ['ledger-total-unsafe', 'data.eventId'], 'reversing a pledge of goods');
    t.same(refusal(deployed('haiti', room + 1)), ['ledger-total-unsafe', 'data.count.value'], 'a deployment');

    // A receipt: its dispatch took half the room, the receipt needs the other half.
    const half = Math.floor(room / 2) + 1;
    const sent = bookOf(record([...history, dispatch('s1', 'us-inl', 'mss', [line('apc', half)])]));
    const received = decide(toProposal(receipt('s1', [line('apc', half)])), sent, { now: NOW });
    t.match(received, { ok: false, rejection: { rule: 'ledger-total-unsafe', field: 'data.lines[0].quantity.value' } });
    const closed = decide(toProposal(close('s1')), sent, { now: NOW });
    t.match(closed, { ok: false, rejection: { rule: 'ledger-total-unsafe', field: 'data.shipmentId' } }, 'a closing');
  },
);
