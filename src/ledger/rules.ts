/**
 * Every rule the ledger enforces has one stable name, used the same way in
 * the code that keeps it, the problem details `type` it is rejected with, its
 * test and the README. A reader who meets `holder-stock-insufficient` in a log
 * can find all four with that one word.
 */
export const RULES = {
  'schema-invalid': { status: 400, title: 'The request does not match the schema' },
  'event-type-unknown': { status: 400, title: 'No such event type' },
  'occurred-at-in-future': { status: 422, title: 'An event cannot have occurred in the future' },
  'occurred-from-in-future': { status: 422, title: 'The earliest an event can have happened cannot be in the future' },
  'occurred-from-after-occurred-at': {
    status: 422,
    title: 'occurredFrom, the earliest an event can have happened, must not be after occurredAt',
  },
  'occurred-before-earliest-date': { status: 422, title: 'No event of this ledger happened before 1900-01-01' },
  'party-unknown': { status: 422, title: 'The party is not registered' },
  'party-already-registered': { status: 409, title: 'The party is already registered' },
  'item-type-unknown': { status: 422, title: 'The item type is not in the catalogue' },
  'item-type-already-registered': { status: 409, title: 'The item type is already in the catalogue' },
  'holder-stock-insufficient': { status: 409, title: 'A holder cannot give away more than it has on hand' },
  'contingent-headcount-insufficient': { status: 409, title: 'More personnel would depart than are deployed' },
  'serial-not-held': { status: 409, title: 'The serial-numbered item is not held by the party moving it' },
  'serial-already-held': { status: 409, title: 'The serial number is already held by a party of the ledger' },
  'shipment-unknown': { status: 422, title: 'No such shipment' },
  'shipment-already-exists': { status: 409, title: 'A shipment with this id was already dispatched' },
  'shipment-closed': { status: 409, title: 'The shipment is closed' },
  'receipt-exceeds-dispatch': { status: 409, title: 'A shipment cannot receive more than was dispatched' },
  'receipt-item-not-dispatched': { status: 422, title: 'The shipment did not carry this item type' },
  'shipment-has-receipts': { status: 409, title: 'A dispatch with receipts cannot be reversed before them' },
  'reversal-target-unknown': { status: 422, title: 'The event to reverse does not exist' },
  'reversal-already-reversed': { status: 409, title: 'The event was already reversed' },
  'reversal-of-reversal': { status: 422, title: 'A reversal cannot be reversed; record the event again instead' },
  'reversal-not-supported': { status: 422, title: 'Registrations cannot be reversed' },
  'ledger-total-unsafe': {
    status: 422,
    title: 'Recording this would take the ledger past the totals it can count exactly',
  },
  'idempotency-conflict': { status: 409, title: 'This event id was already used for different content' },
  'query-date-in-future': { status: 400, title: 'asOf and knownAt cannot be in the future' },
  'not-found': { status: 404, title: 'Nothing by that id, as of that date' },
  'expected-revision-mismatch': { status: 412, title: 'The ledger moved on since the expected revision' },
} as const satisfies Record<string, { status: number; title: string }>;

export type RuleName = keyof typeof RULES;

/** A named refusal: which rule, which field, and the facts a person needs to fix the input. */
export interface Rejection {
  rule: RuleName;
  /** JSON path of the offending field in the request, e.g. `data.lines[0].quantity.value`. */
  field?: string;
  detail: string;
  /** Facts behind the refusal, e.g. holder, item, asked, onHand. */
  context?: Record<string, unknown>;
}

export class RejectionError extends Error {
  override readonly name = 'RejectionError';
  constructor(readonly rejection: Rejection) {
    super(`${rejection.rule}: ${rejection.detail}`);
  }
}

export const reject = (
  rule: RuleName,
  detail: string,
  field?: string,
  context?: Record<string, unknown>,
): Rejection => ({
  rule,
  detail,
  ...(field === undefined ? {} : { field }),
  ...(context === undefined ? {} : { context }),
});
