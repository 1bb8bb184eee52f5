/**
 * One instance per distinct string across a restored checkpoint. V8's
 * deserializer makes a fresh copy of every string it reads, so party names,
 * item types and shipment ids repeated across tens of thousands of entries
 * would each cost their bytes again; a fold shares them.
 */
export function internStrings<T>(value: T, table = new Map<string, string>()): T {
  const intern = interner(table);
  const seen = new Set<object>();
  // Strings and objects are told apart before a call: a checkpoint holds millions of each.
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string') return intern(v);
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || seen.has(v)) return v;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item = v[i] as unknown;
        if (typeof item === 'string') v[i] = intern(item);
        else if (typeof item === 'object' && item !== null) visit(item);
      }
      return v;
    }
    if (v instanceof Map) {
      // Its keys are replaced too, so it is filled again, in the same order (no [key, value] pair per entry).
      const size = v.size;
      const keys = new Array<unknown>(size);
      const items = new Array<unknown>(size);
      let i = 0;
      for (const [key, item] of v as Map<unknown, unknown>) {
        keys[i] = key;
        items[i++] = item;
      }
      v.clear();
      for (let j = 0; j < size; j++) v.set(visit(keys[j]), visit(items[j]));
      return v;
    }
    if (v instanceof Set) {
      const items = [...v] as unknown[];
      v.clear();
      for (const item of items) v.add(visit(item));
      return v;
    }
    const record = v as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const item = record[key];
      if (typeof item === 'string') record[key] = intern(item);
      else if (typeof item === 'object' && item !== null) visit(item);
    }
    return v;
  };
  return visit(value) as T;
}

/** A string's one instance in `table`, which takes it if it has none: for strings met one at a time. */
export const interner =
  (table: Map<string, string>) =>
  (s: string): string => {
    const known = table.get(s);
    if (known !== undefined) return known;
    table.set(s, s);
    return s;
  };
