/**
 * Inventory: what each holder has on hand, by item type; what is in transit,
 * by shipment; and totals by category (guns, ammunition, armored vehicles,
 * aircraft, vehicles, radios …), each saying whether it includes inexact figures.
 */
import type { ItemCategory } from '../events/index.js';
import { EXTERNAL_PARTY_KINDS } from '../events/party-kinds.js';
import {
  isTransitAccount,
  postingsOf,
  reversingPostings,
  type FoldEvent,
  type ShipmentLookup,
} from '../events/postings.js';
import type { Catalog } from './catalog.js';
import { applyDeltas, counterKey, delta, keyRef, splitKey, type Counters, type Delta } from '../events/counters.js';
import { asStock, boundDeltas, boundsOf, sumBounds, type Bounds } from '../events/precision.js';

const HELD = 'held';

/** The counter deltas one event makes, given the state of its shipment when it was recorded. */
export function inventoryDeltas(event: FoldEvent, shipments: ShipmentLookup): Delta[] {
  const reversal = event.type === 'EntryReversed';
  if (reversal && !event.target) return [];
  const postings = reversal ? reversingPostings(event.target!, shipments) : postingsOf(event, shipments);
  // A reversal's postings already run the other way; the count of inexact figures comes back out.
  const deltas: Delta[] = [];
  for (const posting of postings) {
    const inexact = (posting.exact ? 0 : reversal ? -1 : 1) as 0 | 1;
    deltas.push(
      heldDelta(posting.from, posting.itemType, -posting.value, inexact),
      heldDelta(posting.to, posting.itemType, posting.value, inexact),
    );
    if (!posting.exact) {
      // A reversal's postings are swapped: its `from` is where the original figure came in.
      const sign = reversal ? -1 : 1;
      deltas.push(
        ...boundDeltas(posting.shape, posting.value, reversal ? 1 : -1, sign, HELD, posting.from, posting.itemType),
        ...boundDeltas(posting.shape, posting.value, reversal ? -1 : 1, sign, HELD, posting.to, posting.itemType),
      );
    }
  }
  return deltas;
}

/**
 * A shipment's transit account lives for a few events: its keys are made plainly, not kept for the
 * life of the process (tens of thousands of shipments would each keep a node of the key cache).
 */
const heldDelta = (account: string, itemType: string, value: number, inexact: 0 | 1): Delta =>
  isTransitAccount(account)
    ? { key: counterKey(HELD, account, itemType), value, inexact }
    : delta(keyRef(HELD, account, itemType), value, inexact);

export const evolveInventory = (counters: Counters, event: FoldEvent, shipments: ShipmentLookup): Counters =>
  applyDeltas(counters, inventoryDeltas(event, shipments));

export interface Amount {
  itemType: string;
  name: string;
  category: ItemCategory | 'unknown';
  unit: string;
  quantity: number;
  /** False when the quantity includes an "at least" or approximate figure: it is then a lower bound. */
  exact: boolean;
  precision: Bounds['precision'];
  lower: number | null;
  upper: number | null;
}

export interface InventoryView {
  holders: { holder: string; name: string; kind: string; items: Amount[] }[];
  inTransit: { shipmentId: string; items: Amount[] }[];
  totals: {
    category: ItemCategory | 'unknown';
    onHand: number;
    inTransit: number;
    exact: boolean;
    onHandBounds: Bounds;
    inTransitBounds: Bounds;
  }[];
}

const appendTo = <T>(lists: Map<string, T[]>, key: string, item: T) => {
  const list = lists.get(key);
  if (list) list.push(item);
  else lists.set(key, [item]);
};

/** Reads the counters into the inventory view: holders inside the books only; donors and armed groups are elsewhere. */
export function inventoryView(counters: Counters, catalog: Catalog, filter: { holder?: string } = {}): InventoryView {
  const holders = new Map<string, Amount[]>();
  const transit = new Map<string, Amount[]>();
  const totals = new Map<
    string,
    { onHand: number; inTransit: number; inexact: number; held: Bounds[]; moving: Bounds[] }
  >();
  for (const [key, counter] of counters) {
    const [kind, account, itemType] = splitKey(key);
    if (kind !== HELD || account === undefined || itemType === undefined || counter.value === 0) continue;
    const inTransit = isTransitAccount(account);
    // Outside the books, or filtered out: skipped before its bounds and amount are worked out.
    if (!inTransit) {
      const party = catalog.parties.get(account);
      if (!party || EXTERNAL_PARTY_KINDS.has(party.kind)) continue;
      if (filter.holder !== undefined && filter.holder !== account) continue;
    }
    const item = catalog.itemTypes.get(itemType);
    const bounds = asStock(boundsOf(counters, HELD, key.slice(HELD.length), counter));
    const amount: Amount = {
      itemType,
      name: item?.name ?? itemType,
      category: item?.category ?? 'unknown',
      unit: item?.unit ?? 'each',
      quantity: counter.value,
      exact: counter.inexact === 0,
      ...bounds,
    };
    let total = totals.get(amount.category);
    if (!total) totals.set(amount.category, (total = { onHand: 0, inTransit: 0, inexact: 0, held: [], moving: [] }));
    if (inTransit) {
      const shipmentId = account.slice('transit:'.length);
      appendTo(transit, shipmentId, amount);
      total.inTransit += counter.value;
      total.moving.push(bounds);
    } else {
      appendTo(holders, account, amount);
      total.onHand += counter.value;
      total.held.push(bounds);
    }
    total.inexact += counter.inexact;
  }
  const byItem = (a: Amount, b: Amount) => a.itemType.localeCompare(b.itemType);
  return {
    holders: [...holders]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([holder, items]) => {
        const party = catalog.parties.get(holder);
        return { holder, name: party?.name ?? holder, kind: party?.kind ?? 'other', items: items.sort(byItem) };
      }),
    inTransit: [...transit]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([shipmentId, items]) => ({ shipmentId, items: items.sort(byItem) })),
    totals: [...totals]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([category, t]) => ({
        category: category as ItemCategory,
        onHand: t.onHand,
        inTransit: t.inTransit,
        exact: t.inexact === 0,
        onHandBounds: sumBounds(t.held),
        inTransitBounds: sumBounds(t.moving),
      })),
  };
}
