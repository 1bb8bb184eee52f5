/**
 * One instance per distinct string across a restored checkpoint. V8's
 * deserializer makes a fresh copy of every string it reads, so party names,
 * item types and shipment ids repeated across tens of thousands of entries
 * would each cost their bytes again; a fold shares them.
 */
export function internStrings<T>(value: T, table = new Map<string, string>()): T {
  const intern = (s: string) => {
    const known = table.get(s);
    if (known !== undefined) return known;
    table.set(s, s);
    return s;
  };
  const seen = new Set<object>();
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string') return intern(v);
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || seen.has(v)) return v;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item = v[i] as unknown;
        if (typeof item === 'string' || (typeof item === 'object' && item !== null)) v[i] = visit(item);
      }
      return v;
    }
    if (v instanceof Map) {
      const entries = [...v] as [unknown, unknown][];
      v.clear();
      for (const [key, item] of entries) v.set(visit(key), visit(item));
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
      if (typeof item === 'string' || (typeof item === 'object' && item !== null)) record[key] = visit(item);
    }
    return v;
  };
  return visit(value) as T;
}
