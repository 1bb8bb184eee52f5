/**
 * Strings kept once and referred to by a small number. Compact projections
 * (custody, shipment histories) store runs of numbers; names come back from here.
 */
export interface Interned {
  names: string[];
  ids: Map<string, number>;
}

export const emptyInterned = (): Interned => ({ names: [], ids: new Map() });

export function internId(table: Interned, name: string): number {
  let id = table.ids.get(name);
  if (id === undefined) {
    id = table.names.length;
    table.names.push(name);
    table.ids.set(name, id);
  }
  return id;
}
