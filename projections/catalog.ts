/**
 * Parties and item types are data: registered by events, so a new donor or a
 * new rifle model needs no release. Projections read names and categories here.
 */
import type { ItemCategory, FoldableEvent, PartyKind } from '../events/index.js';

export interface Catalog {
  parties: Map<string, { kind: PartyKind; name: string; country?: string | undefined }>;
  itemTypes: Map<string, { name: string; category: ItemCategory; unit: string }>;
}

export const emptyCatalog = (): Catalog => ({ parties: new Map(), itemTypes: new Map() });

export function evolveCatalog(catalog: Catalog, event: FoldableEvent): Catalog {
  if (event.type === 'PartyRegistered') catalog.parties.set(event.data.partyId, event.data);
  if (event.type === 'ItemTypeRegistered') catalog.itemTypes.set(event.data.itemType, event.data);
  return catalog;
}
