/**
 * The value shapes every event is built from. Each is one zod schema; the
 * TypeScript type is inferred from it, and the same schema validates the API
 * and writes the OpenAPI document.
 */
import { z } from 'zod';
import { PARTY_KINDS } from './party-kinds.js';

/** Lowercase slug used for party ids, item type ids and shipment ids. */
export const Slug = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a lowercase slug: letters, digits and single hyphens');

export const PartyId = Slug.describe('Party id, e.g. `us-inl`, `mss`, `hnp`, `gang-400-mawozo`');
export const ItemTypeId = Slug.describe('Item type id from the catalogue, e.g. `firearm-assorted`');
export const ShipmentId = Slug.describe('Shipment id chosen by the recorder, e.g. `inl-apc-2024-10`');

export const PartyKind = z.enum(PARTY_KINDS);
export type PartyKind = z.infer<typeof PartyKind>;
export { EXTERNAL_PARTY_KINDS } from './party-kinds.js';

export const ItemCategory = z.enum([
  'firearm',
  'ammunition',
  'armored-vehicle',
  'aircraft',
  'vehicle',
  'communications',
  'equipment',
  'funds',
]);
export type ItemCategory = z.infer<typeof ItemCategory>;

export const Unit = z.enum(['each', 'rounds', 'usd']);

/**
 * Public sources say "at least 600 guns" or "tens of bullets". A quantity keeps
 * the figure used in totals (`value`, the lower bound when inexact), how
 * precise it is, and optionally the source's own wording and an upper bound.
 */
export const Quantity = z
  .object({
    value: z
      .number()
      .int('must be a whole number')
      .positive('must be greater than zero')
      .max(1_000_000_000_000, 'is implausibly large'),
    precision: z.enum(['exact', 'at-least', 'approximate']).default('exact'),
    upTo: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('upper bound of an inexact figure (approximate or at-least); refused beside an exact one'),
    reported: z.string().max(200).optional().describe("the source's own words for the figure"),
  })
  .strict()
  .refine((q) => q.upTo === undefined || q.upTo >= q.value, {
    message: 'upTo must not be below value',
    path: ['upTo'],
  })
  // An exact figure has no range: an upTo beside it would be stored and exported, yet no bound would use it.
  .refine((q) => q.upTo === undefined || q.precision !== 'exact', {
    message: 'upTo is only for an inexact figure (precision approximate or at-least)',
    path: ['upTo'],
  });
export type Quantity = z.infer<typeof Quantity>;

export const Serial = z
  .object({
    serial: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'must be letters, digits and . _ / -'),
    assigned: z
      .boolean()
      .default(false)
      .describe('true when the serial was assigned by the ledger because the real one is missing or illegible'),
  })
  .strict();
export type Serial = z.infer<typeof Serial>;

export const Line = z
  .object({
    itemType: ItemTypeId,
    quantity: Quantity,
    serials: z.array(Serial).max(10_000).optional(),
  })
  .strict()
  .refine((l) => !l.serials || l.serials.length <= l.quantity.value, {
    message: 'more serials than the quantity',
    path: ['serials'],
  })
  .refine((l) => !l.serials || new Set(l.serials.map((s) => s.serial)).size === l.serials.length, {
    message: 'serials must be unique within a line',
    path: ['serials'],
  });
export type Line = z.infer<typeof Line>;

export const Lines = z.array(Line).min(1, 'needs at least one line').max(500);

/** Where a fact comes from. Every seeded event cites its article here. */
export const Source = z
  .object({
    document: z.string().min(1).max(200).describe('file name, report number or URL of the source'),
    reference: z.string().max(500).optional().describe('where in the document'),
    reporter: z.string().max(200).optional(),
    alsoCites: z
      .array(z.string().min(1).max(200))
      .max(20)
      .optional()
      .describe('other documents that report the same fact'),
    note: z.string().max(2000).optional().describe('how the figure was read from the source'),
  })
  .strict();
export type Source = z.infer<typeof Source>;

/**
 * When the source gives no exact day, `occurredAt` holds the latest instant
 * the event can have happened by and the precision says how coarse it is.
 */
export const TimePrecision = z.enum(['instant', 'day', 'month', 'year', 'range']);
export type TimePrecision = z.infer<typeof TimePrecision>;

export const Country = Slug.describe('contributing country, e.g. `kenya`, `jamaica`');
/** `unspecified` when the source does not say ("troops have joined"): better than guessing a role. */
export const PersonnelRole = z.enum(['police', 'military', 'civilian', 'unspecified']);
