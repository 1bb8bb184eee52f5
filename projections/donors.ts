/**
 * Donors: what each donor pledged, dispatched, delivered and lost in transit,
 * by category. Pledges are promises, not stock: they are counted here only.
 */
import type { FoldableEvent, Line } from '../events/index.js';
import { lineOutstanding, type FoldEvent, type ShipmentLookup } from '../events/postings.js';
import type { Catalog } from './catalog.js';
import { delta, keyRef, splitKey, type Counters, type Delta } from '../events/counters.js';
import { boundDeltas, boundsOf, EXACT_ZERO, shapeOf, type Bounds } from '../events/precision.js';

export const DONOR_MEASURES = ['pledged', 'dispatched', 'delivered', 'writtenOff'] as const;
export type DonorMeasure = (typeof DONOR_MEASURES)[number];

const lineDeltas = (
  measure: DonorMeasure,
  donor: string,
  lines: readonly Line[],
  catalog: Catalog,
  sign: 1 | -1,
): Delta[] =>
  lines.flatMap((line) => {
    const category = catalog.itemTypes.get(line.itemType)?.category ?? 'unknown';
    const main = delta(
      keyRef(measure, donor, category),
      sign * line.quantity.value,
      (sign * (line.quantity.precision === 'exact' ? 0 : 1)) as 0 | 1,
    );
    if (line.quantity.precision === 'exact') return [main];
    return [main, ...boundDeltas(shapeOf(line.quantity), line.quantity.value, 1, sign, measure, donor, category)];
  });

const isDonor = (catalog: Catalog, party: string) => catalog.parties.get(party)?.kind === 'donor';

function deltasOf(event: FoldableEvent, shipments: ShipmentLookup, catalog: Catalog, sign: 1 | -1): Delta[] {
  switch (event.type) {
    case 'DonationPledged':
      return lineDeltas('pledged', event.data.donor, event.data.lines, catalog, sign);
    case 'DonationReceived':
      return lineDeltas('delivered', event.data.donor, event.data.lines, catalog, sign);
    case 'ShipmentDispatched':
      return isDonor(catalog, event.data.from)
        ? lineDeltas('dispatched', event.data.from, event.data.lines, catalog, sign)
        : [];
    case 'ShipmentReceived': {
      const shipment = shipments(event.data.shipmentId);
      return shipment && isDonor(catalog, shipment.from)
        ? lineDeltas('delivered', shipment.from, event.data.lines, catalog, sign)
        : [];
    }
    case 'ShipmentClosed': {
      const shipment = shipments(event.data.shipmentId);
      if (!shipment || !isDonor(catalog, shipment.from)) return [];
      // Closing writes off what is still outstanding; a reversal puts back what was written off.
      const amounts = shipment.lines.map((line) => {
        const value = sign === 1 ? lineOutstanding(line) : line.writtenOff;
        return { itemType: line.itemType, quantity: { value, precision: 'exact' as const, upTo: undefined } };
      });
      return lineDeltas(
        'writtenOff',
        shipment.from,
        amounts.filter((a) => a.quantity.value > 0),
        catalog,
        sign,
      );
    }
    default:
      return [];
  }
}

export function donorDeltas(event: FoldEvent, shipments: ShipmentLookup, catalog: Catalog): Delta[] {
  if (event.type === 'EntryReversed') return event.target ? deltasOf(event.target, shipments, catalog, -1) : [];
  return deltasOf(event, shipments, catalog, 1);
}

export type DonorMeasureFigure = { quantity: number; exact: boolean } & Bounds;

export interface DonorsView {
  donors: {
    donor: string;
    name: string;
    byCategory: { category: string; measures: Record<DonorMeasure, DonorMeasureFigure> }[];
  }[];
}

export function donorsView(counters: Counters, catalog: Catalog): DonorsView {
  const donors = new Map<string, Map<string, Record<DonorMeasure, DonorMeasureFigure>>>();
  for (const [key, counter] of counters) {
    const [measure, donor, category] = splitKey(key);
    if (donor === undefined || category === undefined || !DONOR_MEASURES.includes(measure as DonorMeasure)) continue;
    let categories = donors.get(donor);
    if (!categories) donors.set(donor, (categories = new Map()));
    let measures = categories.get(category);
    if (!measures)
      categories.set(
        category,
        (measures = Object.fromEntries(
          DONOR_MEASURES.map((m) => [m, { quantity: 0, exact: true, ...EXACT_ZERO }]),
        ) as Record<DonorMeasure, DonorMeasureFigure>),
      );
    measures[measure as DonorMeasure] = {
      quantity: counter.value,
      exact: counter.inexact === 0,
      ...boundsOf(counters, measure!, key.slice(measure!.length), counter),
    };
  }
  return {
    donors: [...donors]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([donor, categories]) => ({
        donor,
        name: catalog.parties.get(donor)?.name ?? donor,
        byCategory: [...categories]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([category, measures]) => ({ category, measures })),
      })),
  };
}
