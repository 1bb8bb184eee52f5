/**
 * The event catalogue: one zod schema per event type, describing its `data`.
 * Events are past-tense facts. A type's schema may only change by adding a new
 * version with an upcaster (see upcast.ts): stored events are never rewritten.
 */
import { z } from 'zod';
import { EVENT_VERSIONS, type EventType } from './versions.js';
import {
  Country,
  ItemCategory,
  ItemTypeId,
  Lines,
  PartyId,
  PartyKind,
  PersonnelRole,
  Quantity,
  ShipmentId,
  Unit,
} from './values.js';

const distinctParties = <T extends z.ZodType<Record<string, unknown>>>(schema: T, a: string, b: string) =>
  schema.refine((d) => d[a] !== d[b], { message: `${a} and ${b} must be different parties`, path: [b] });

export const PartyRegistered = z
  .object({
    partyId: PartyId,
    kind: PartyKind,
    name: z.string().min(1).max(200),
    country: Country.optional(),
  })
  .strict();

export const ItemTypeRegistered = z
  .object({
    itemType: ItemTypeId,
    name: z.string().min(1).max(200),
    category: ItemCategory,
    unit: Unit.default('each'),
  })
  .strict();

export const ShipmentDispatched = distinctParties(
  z
    .object({
      shipmentId: ShipmentId,
      from: PartyId.describe('the donor or holder sending'),
      to: PartyId.describe('the intended recipient'),
      lines: Lines,
      carrier: z.string().max(200).optional(),
      origin: z.string().max(200).optional(),
      destination: z.string().max(200).optional(),
    })
    .strict(),
  'from',
  'to',
);

export const ShipmentReceived = z
  .object({
    shipmentId: ShipmentId,
    lines: Lines.describe('what actually arrived; a short receipt leaves the rest in transit'),
    location: z.string().max(200).optional(),
  })
  .strict();

export const WriteOffReason = z.enum(['lost', 'damaged', 'diverted']);

export const ShipmentClosed = z
  .object({
    shipmentId: ShipmentId,
    writeOffReason: WriteOffReason.default('lost').describe('what any shortfall is written off to'),
  })
  .strict();

export const DonationReceived = distinctParties(
  z.object({ donor: PartyId, recipient: PartyId, lines: Lines, location: z.string().max(200).optional() }).strict(),
  'donor',
  'recipient',
);

export const DonationPledged = distinctParties(
  z.object({ donor: PartyId, recipient: PartyId, lines: Lines }).strict(),
  'donor',
  'recipient',
);

export const MaterielTransferred = distinctParties(
  z.object({ from: PartyId, to: PartyId, lines: Lines, location: z.string().max(200).optional() }).strict(),
  'from',
  'to',
);

export const MaterielSeized = distinctParties(
  z
    .object({
      from: PartyId.describe('the armed group the materiel was seized from'),
      by: PartyId.describe('the party that seized and now holds it'),
      lines: Lines,
      location: z.string().max(200).optional(),
    })
    .strict(),
  'from',
  'by',
);

export const ExpenditureReason = z.enum(['consumed', 'destroyed', 'lost', 'stolen', 'unserviceable']);

export const MaterielExpended = z
  .object({
    holder: PartyId,
    reason: ExpenditureReason,
    lines: Lines,
    location: z.string().max(200).optional(),
  })
  .strict();

export const PersonnelDeployed = z
  .object({
    country: Country,
    role: PersonnelRole,
    count: Quantity,
    contingent: PartyId.optional().describe('the contingent party, e.g. `mss-kenya`'),
    location: z.string().max(200).optional(),
  })
  .strict();

export const DepartureReason = z.enum(['rotation', 'casualty', 'repatriation', 'other']);

export const PersonnelDeparted = z
  .object({
    country: Country,
    role: PersonnelRole,
    count: Quantity,
    reason: DepartureReason,
    contingent: PartyId.optional(),
  })
  .strict();

/**
 * Force generation: a contributing country's pledged contingent, before (or
 * without) any deployment. Sources often name a country without a size: `count`
 * is given only where a source gives one, never guessed.
 */
export const PersonnelPledged = z
  .object({
    country: Country,
    role: PersonnelRole,
    count: Quantity.optional().describe('the pledged size, only where a source gives one'),
    contingent: PartyId.optional(),
  })
  .strict();

export const EntryReversed = z
  .object({
    eventId: z.uuid().describe('the event being reversed'),
    reason: z.string().min(1).max(2000),
  })
  .strict();

/** Every event type, its current schema version and its data schema. */
export const eventCatalogue = {
  PartyRegistered: { version: EVENT_VERSIONS.PartyRegistered, data: PartyRegistered },
  ItemTypeRegistered: { version: EVENT_VERSIONS.ItemTypeRegistered, data: ItemTypeRegistered },
  ShipmentDispatched: { version: EVENT_VERSIONS.ShipmentDispatched, data: ShipmentDispatched },
  ShipmentReceived: { version: EVENT_VERSIONS.ShipmentReceived, data: ShipmentReceived },
  ShipmentClosed: { version: EVENT_VERSIONS.ShipmentClosed, data: ShipmentClosed },
  DonationReceived: { version: EVENT_VERSIONS.DonationReceived, data: DonationReceived },
  DonationPledged: { version: EVENT_VERSIONS.DonationPledged, data: DonationPledged },
  MaterielTransferred: { version: EVENT_VERSIONS.MaterielTransferred, data: MaterielTransferred },
  MaterielSeized: { version: EVENT_VERSIONS.MaterielSeized, data: MaterielSeized },
  MaterielExpended: { version: EVENT_VERSIONS.MaterielExpended, data: MaterielExpended },
  PersonnelDeployed: { version: EVENT_VERSIONS.PersonnelDeployed, data: PersonnelDeployed },
  PersonnelDeparted: { version: EVENT_VERSIONS.PersonnelDeparted, data: PersonnelDeparted },
  PersonnelPledged: { version: EVENT_VERSIONS.PersonnelPledged, data: PersonnelPledged },
  EntryReversed: { version: EVENT_VERSIONS.EntryReversed, data: EntryReversed },
} as const satisfies { [T in EventType]: { version: (typeof EVENT_VERSIONS)[T]; data: unknown } };

export { isEventType, type EventType } from './versions.js';
export const EVENT_TYPES = Object.keys(eventCatalogue) as EventType[];
export type EventDataOf<T extends EventType> = z.infer<(typeof eventCatalogue)[T]['data']>;
