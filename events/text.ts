/**
 * Text the ledger can store verifiably. Every event becomes an RFC 8785 leaf of the Merkle log,
 * and RFC 8785 has no encoding for a string that is not well-formed Unicode (a lone surrogate
 * such as "\ud800", which JSON.parse happily produces). Such an event could be stored but never
 * signed, and would stop every write after it; so it is refused at the door instead.
 */
export const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

/** The path (`data.lines[0].note`) of the first string or key that is not well-formed Unicode, if any. */
export function illFormedTextAt(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return isWellFormed(value) ? undefined : path;
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = illFormedTextAt(value[index], `${path}[${index}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key in value) {
    const at = path ? `${path}.${key}` : key;
    if (!isWellFormed(key)) return at;
    const found = illFormedTextAt((value as Record<string, unknown>)[key], at);
    if (found !== undefined) return found;
  }
  return undefined;
}
