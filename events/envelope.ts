/**
 * The envelope around every event: what a recorder posts (`IncomingEvent`) and
 * what the ledger stores and replays (`LedgerEvent`).
 */
import { z } from 'zod';
import { eventCatalogue, type EventDataOf, type EventType } from './catalogue.js';
import { Source, TimePrecision } from './values.js';

/** A date (`2025-02-10`) or an instant with an offset (`2025-02-10T14:00:00Z`). */
export const DateOrInstant = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'must be an ISO 8601 date (2025-02-10) or instant with offset (2025-02-10T14:00:00Z)',
});

const envelopeFields = {
  id: z.uuid().optional().describe('client-chosen event id; a retry with the same id never duplicates'),
  occurredAt: DateOrInstant.describe('business time: when it happened (a bare date means that day)'),
  occurredPrecision: TimePrecision.optional().describe(
    'how precise occurredAt is; defaults to `day` for a bare date, else `instant`. For month, year and range, occurredAt is the day by which it had certainly happened',
  ),
  occurredFrom: DateOrInstant.optional().describe('for a range: the earliest it can have happened'),
  source: Source.optional(),
  correlationId: z.string().min(1).max(128).optional(),
  causationId: z.string().min(1).max(128).optional(),
};

const incomingSchemaFor = <T extends EventType>(type: T) =>
  z
    .object({
      ...envelopeFields,
      type: z.literal(type),
      schemaVersion: z.literal(eventCatalogue[type].version).optional(),
      data: eventCatalogue[type].data as (typeof eventCatalogue)[T]['data'],
    })
    .strict()
    .meta({ id: `${type}Input` });

export const incomingEventSchemas = {
  PartyRegistered: incomingSchemaFor('PartyRegistered'),
  ItemTypeRegistered: incomingSchemaFor('ItemTypeRegistered'),
  ShipmentDispatched: incomingSchemaFor('ShipmentDispatched'),
  ShipmentReceived: incomingSchemaFor('ShipmentReceived'),
  ShipmentClosed: incomingSchemaFor('ShipmentClosed'),
  DonationReceived: incomingSchemaFor('DonationReceived'),
  DonationPledged: incomingSchemaFor('DonationPledged'),
  MaterielTransferred: incomingSchemaFor('MaterielTransferred'),
  MaterielSeized: incomingSchemaFor('MaterielSeized'),
  MaterielExpended: incomingSchemaFor('MaterielExpended'),
  PersonnelDeployed: incomingSchemaFor('PersonnelDeployed'),
  PersonnelPledged: incomingSchemaFor('PersonnelPledged'),
  PersonnelDeparted: incomingSchemaFor('PersonnelDeparted'),
  EntryReversed: incomingSchemaFor('EntryReversed'),
} satisfies { [T in EventType]: unknown };

export const IncomingEvent = z.discriminatedUnion(
  'type',
  Object.values(incomingEventSchemas) as never as [
    (typeof incomingEventSchemas)[EventType],
    ...(typeof incomingEventSchemas)[EventType][],
  ],
);
export type IncomingEvent = z.infer<typeof IncomingEvent>;

/** Metadata stored beside the data of every event. */
export interface EventMetadata {
  occurredPrecision: TimePrecision;
  occurredFrom?: string;
  source?: Source;
  correlationId?: string;
  causationId?: string;
}

/** An event as stored: the store's generic shape, data not yet narrowed. */
export interface RecordedEvent {
  id: string;
  type: string;
  stream: string;
  streamRevision: number;
  globalPosition: number;
  occurredAt: string;
  recordedAt: string;
  recordedBy: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata;
}

/**
 * What a fold reads of a stored event: all but its id, its metadata and who
 * recorded it, which no projection and no rule reads (a reversal names its
 * target in its data). A rebuild reads events in this form, and so never
 * reads or parses the rest.
 */
export type StoredEvent = Omit<RecordedEvent, 'id' | 'metadata' | 'recordedBy'>;

/** A stored ledger event, narrowed by type. */
export type LedgerEvent = {
  [T in EventType]: Omit<RecordedEvent, 'type' | 'data'> & { type: T; data: EventDataOf<T> };
}[EventType];

/** A stored ledger event as folds read it (see StoredEvent), narrowed by type. Every LedgerEvent is one. */
export type FoldableEvent = {
  [T in EventType]: Omit<StoredEvent, 'type' | 'data'> & { type: T; data: EventDataOf<T> };
}[EventType];

export type LedgerEventOf<T extends EventType> = Extract<LedgerEvent, { type: T }>;
