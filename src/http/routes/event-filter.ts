/**
 * Filters over the event log, shared by GET /v1/events and the NDJSON export.
 * The store port reads by position only, so filters scan pages of the log;
 * a request scans a bounded number of events and hands back a cursor.
 */
import { z } from 'zod';
import { DateOrInstant, EVENT_TYPES, Slug, toInstant, type RecordedEvent } from '../../../events/index.js';
import { PrincipalName } from '../../auth/keys.js';
import type { Envelope } from '../../log/leaf.js';

export const StreamId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be letters, digits and . _ : -');

const SerialText = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'must be letters, digits and . _ / -');

/** `a,b` or repeated parameters: one or more event types. */
const EventTypes = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.enum(EVENT_TYPES as [string, ...string[]])).min(1));

export const FilterFields = {
  stream: StreamId.optional().describe('only events of this stream (every ledger event is in `ledger`)'),
  type: EventTypes.optional().describe('only these event types (comma-separated or repeated)'),
  party: Slug.optional().describe(
    'only events that name this party (from, to, donor, recipient, by, holder, contingent)',
  ),
  country: Slug.optional().describe(
    'only events about personnel of this contributing country (deployed, departed, pledged; e.g. `kenya`)',
  ),
  item: Slug.optional().describe('only events that move or register this item type'),
  serial: SerialText.optional().describe('only events that move the item with this serial number'),
  occurredFrom: DateOrInstant.optional().describe('business time, inclusive'),
  occurredTo: DateOrInstant.optional().describe('business time, inclusive (a bare date means the whole day)'),
  recordedFrom: DateOrInstant.optional().describe('recording time, inclusive'),
  recordedTo: DateOrInstant.optional().describe('recording time, inclusive (a bare date means the whole day)'),
  recordedBy: PrincipalName.optional().describe('only events recorded by this principal (the name of an API key)'),
};

export type EventFilter = {
  stream?: string | undefined;
  type?: string[] | undefined;
  party?: string | undefined;
  country?: string | undefined;
  item?: string | undefined;
  serial?: string | undefined;
  occurredFrom?: string | undefined;
  occurredTo?: string | undefined;
  recordedFrom?: string | undefined;
  recordedTo?: string | undefined;
  recordedBy?: string | undefined;
};

const PARTY_FIELDS = ['from', 'to', 'donor', 'recipient', 'by', 'holder', 'contingent', 'partyId'] as const;

/** An inclusive upper bound: a bare date covers its whole day. */
const upperBound = (value: string) =>
  value.length === 10
    ? new Date(Date.parse(`${value}T00:00:00.000Z`) + 86_400_000 - 1).toISOString()
    : toInstant(value);

interface Lineish {
  itemType?: unknown;
  serials?: { serial?: unknown }[];
}

/** A predicate for the filter; `undefined` when the filter lets everything through. */
export function eventPredicate(filter: EventFilter): ((event: RecordedEvent) => boolean) | undefined {
  const { envelope, data } = filterTests(filter);
  const tests: ((event: RecordedEvent) => boolean)[] = [...envelope, ...data];
  if (tests.length === 0) return undefined;
  return (event) => tests.every((test) => test(event));
}

/**
 * The filter's tests of an event's envelope alone (stream, type, times, recorder), when it has no
 * other: `undefined` when it lets everything through, or when it also looks into the data (then only
 * `eventPredicate` can answer). An export whose filter is all envelope is made from the store's rows
 * without parsing them.
 */
export function envelopePredicate(filter: EventFilter): ((envelope: Envelope) => boolean) | undefined {
  const { envelope, data } = filterTests(filter);
  if (data.length > 0 || envelope.length === 0) return undefined;
  return (event) => envelope.every((test) => test(event));
}

/** The filter's tests, those that read the envelope apart from those that read the data. */
function filterTests(filter: EventFilter): {
  envelope: ((event: Envelope) => boolean)[];
  data: ((event: RecordedEvent) => boolean)[];
} {
  const tests: ((event: Envelope) => boolean)[] = [];
  const dataTests: ((event: RecordedEvent) => boolean)[] = [];
  if (filter.stream !== undefined) {
    const stream = filter.stream;
    tests.push((e) => e.stream === stream);
  }
  if (filter.type !== undefined) {
    const types = new Set(filter.type);
    tests.push((e) => types.has(e.type));
  }
  // Instants are UTC ISO strings of one length: they compare as strings.
  if (filter.occurredFrom !== undefined) {
    const from = toInstant(filter.occurredFrom);
    tests.push((e) => e.occurredAt >= from);
  }
  if (filter.occurredTo !== undefined) {
    const to = upperBound(filter.occurredTo);
    tests.push((e) => e.occurredAt <= to);
  }
  if (filter.recordedFrom !== undefined) {
    const from = toInstant(filter.recordedFrom);
    tests.push((e) => e.recordedAt >= from);
  }
  if (filter.recordedTo !== undefined) {
    const to = upperBound(filter.recordedTo);
    tests.push((e) => e.recordedAt <= to);
  }
  if (filter.recordedBy !== undefined) {
    const by = filter.recordedBy;
    tests.push((e) => e.recordedBy === by);
  }
  if (filter.party !== undefined) {
    const party = filter.party;
    dataTests.push((e) => {
      const data = e.data as Record<string, unknown> | null;
      return data !== null && typeof data === 'object' && PARTY_FIELDS.some((f) => data[f] === party);
    });
  }
  if (filter.country !== undefined) {
    const country = filter.country;
    dataTests.push((e) => (e.data as { country?: unknown } | null)?.country === country);
  }
  if (filter.item !== undefined) {
    const item = filter.item;
    dataTests.push((e) => {
      const data = e.data as { itemType?: unknown; lines?: Lineish[] } | null;
      return data?.itemType === item || (Array.isArray(data?.lines) && data.lines.some((l) => l.itemType === item));
    });
  }
  if (filter.serial !== undefined) {
    const serial = filter.serial;
    dataTests.push((e) => {
      const lines = (e.data as { lines?: Lineish[] } | null)?.lines;
      return Array.isArray(lines) && lines.some((l) => l.serials?.some((s) => s.serial === serial));
    });
  }
  return { envelope: tests, data: dataTests };
}
