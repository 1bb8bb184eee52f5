/**
 * The limits every event keeps whatever its type: when it can have happened
 * (not in the future, not before 1900, a range that starts before it ends),
 * and how much the ledger can count exactly.
 *
 * Counting: every figure the ledger keeps (stock per holder and item,
 * category totals, donor sums, shipment lines, headcounts) is a sum of some
 * of the amounts events move. The book keeps one running total of all those
 * amounts, reversals and closings included; no figure can exceed it. An event
 * that would take that total past Number.MAX_SAFE_INTEGER is refused, so
 * every sum anywhere stays an exact integer and conservation holds to the
 * unit. (The total rises only when something is recorded: 9 × 10^15 units is
 * beyond any real mission, so the bound costs nothing but a comparison.)
 */
import type { Line } from '../../events/index.js';
import type { Book } from './book.js';
import type { Proposal } from './decide.js';
import {
  headcountDeltas,
  postingsOf,
  reversingHeadcount,
  reversingPostings,
  type FoldEvent,
  type ShipmentLookup,
} from '../../events/postings.js';
import { reject, type Rejection } from './rules.js';

/** Business time may run slightly ahead of the server's clock; more than this is a mistake. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
/** No event of this ledger happened before this day; earlier dates are typing mistakes (0000-01-01). */
export const EARLIEST_OCCURRED = '1900-01-01T00:00:00.000Z';
const EARLIEST_MS = Date.parse(EARLIEST_OCCURRED);

/** The first date rule an event breaks, or undefined. */
export function checkDates(proposal: Proposal, now: Date): Rejection | undefined {
  const at = Date.parse(proposal.occurredAt);
  const fromText = proposal.metadata.occurredFrom;
  const from = fromText === undefined ? undefined : Date.parse(fromText);
  const latest = now.getTime() + CLOCK_SKEW_MS;
  if (at < EARLIEST_MS)
    return reject('occurred-before-earliest-date', `occurredAt ${proposal.occurredAt} is before 1900`, 'occurredAt', {
      occurredAt: proposal.occurredAt,
      earliest: EARLIEST_OCCURRED,
    });
  if (from !== undefined && from < EARLIEST_MS)
    return reject('occurred-before-earliest-date', `occurredFrom ${fromText} is before 1900`, 'occurredFrom', {
      occurredFrom: fromText,
      earliest: EARLIEST_OCCURRED,
    });
  if (at > latest)
    return reject('occurred-at-in-future', `occurredAt ${proposal.occurredAt} is after now`, 'occurredAt', {
      occurredAt: proposal.occurredAt,
      now: now.toISOString(),
    });
  if (from !== undefined && from > latest)
    return reject('occurred-from-in-future', `occurredFrom ${fromText} is after now`, 'occurredFrom', {
      occurredFrom: fromText,
      now: now.toISOString(),
    });
  if (from !== undefined && from > at)
    return reject(
      'occurred-from-after-occurred-at',
      `occurredFrom ${fromText} is after occurredAt ${proposal.occurredAt}: the range ends before it starts`,
      'occurredFrom',
      { occurredFrom: fromText, occurredAt: proposal.occurredAt },
    );
  return undefined;
}

/** One amount an event moves or promises, and the request field it comes from. */
interface Amount {
  value: number;
  field: string;
}

const lineAmounts = (lines: readonly Line[]): Amount[] =>
  lines.map((line, index) => ({ value: line.quantity.value, field: `data.lines[${index}].quantity.value` }));

/**
 * What an event adds to the book's running total: the same postings and headcount changes the book
 * folds (so the two never disagree), plus pledges, which move nothing but are summed by donor.
 */
export function amountsOf(event: FoldEvent, shipments: ShipmentLookup): Amount[] {
  if (event.type === 'EntryReversed') {
    const target = event.target;
    if (!target) return [];
    return [
      ...reversingPostings(target, shipments).map((p) => ({ value: p.value, field: 'data.eventId' })),
      ...reversingHeadcount(target).map((d) => ({ value: Math.abs(d.delta), field: 'data.eventId' })),
      ...(target.type === 'DonationPledged'
        ? target.data.lines.map((l) => ({ value: l.quantity.value, field: 'data.eventId' }))
        : []),
      ...(target.type === 'PersonnelPledged' && target.data.count
        ? [{ value: target.data.count.value, field: 'data.eventId' }]
        : []),
    ];
  }
  if (event.type === 'DonationPledged') return lineAmounts(event.data.lines);
  // A pledged contingent moves nobody, but the personnel projection sums pledged sizes by country.
  if (event.type === 'PersonnelPledged')
    return event.data.count ? [{ value: event.data.count.value, field: 'data.count.value' }] : [];
  if (event.type === 'ShipmentClosed')
    return postingsOf(event, shipments).map((p) => ({ value: p.value, field: 'data.shipmentId' }));
  if ('lines' in event.data) {
    const postings = postingsOf(event, shipments);
    return postings.map((p, index) => ({ value: p.value, field: `data.lines[${index}].quantity.value` }));
  }
  return headcountDeltas(event).map((d) => ({ value: Math.abs(d.delta), field: 'data.count.value' }));
}

/**
 * What an event adds to the running total, without building its postings where the lines say it:
 * a movement's postings are its lines, a headcount change its count. The check runs on every proposal.
 */
function quickAmount(event: FoldEvent, shipments: ShipmentLookup): number {
  if (event.type === 'PersonnelDeployed' || event.type === 'PersonnelDeparted') return event.data.count.value;
  if (event.type === 'ShipmentReceived' && !shipments(event.data.shipmentId)) return 0;
  if (event.type !== 'EntryReversed' && event.type !== 'ShipmentClosed' && 'lines' in event.data) {
    let sum = 0;
    for (const line of event.data.lines) sum += line.quantity.value;
    return sum;
  }
  let sum = 0;
  for (const amount of amountsOf(event, shipments)) sum += amount.value;
  return sum;
}

/** Refuses an event that would take the running total of recorded amounts past what doubles count exactly. */
export function checkSafeTotal(event: FoldEvent, book: Book): Rejection | undefined {
  const shipments: ShipmentLookup = (id) => book.shipments.get(id);
  // Rounding is monotonic: a true sum above 2^53 - 1 never rounds down to it.
  if (book.amountRecorded + quickAmount(event, shipments) <= Number.MAX_SAFE_INTEGER) return undefined;
  let total = book.amountRecorded;
  for (const amount of amountsOf(event, shipments)) {
    total += amount.value;
    if (total > Number.MAX_SAFE_INTEGER)
      return reject(
        'ledger-total-unsafe',
        `recording this would take the ledger's running total of quantities past ${Number.MAX_SAFE_INTEGER}, beyond which sums are no longer exact`,
        amount.field,
        { recordedSoFar: book.amountRecorded, limit: Number.MAX_SAFE_INTEGER },
      );
  }
  return undefined;
}
