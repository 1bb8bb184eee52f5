/**
 * Text the ledger can store verifiably. Every event becomes an RFC 8785 leaf of the Merkle log,
 * and RFC 8785 has no encoding for a string that is not well-formed Unicode (a lone surrogate
 * such as "\ud800", which JSON.parse happily produces). Such an event could be stored but never
 * signed, and would stop every write after it; so it is refused at the door instead.
 */
export const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

/** Whether every string and key in `value` is well-formed Unicode: the walk each posted event pays, building no path. */
function allWellFormed(value: unknown): boolean {
  if (typeof value === 'string') return isWellFormed(value);
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) if (!allWellFormed(value[index])) return false;
    return true;
  }
  for (const key in value)
    if (!isWellFormed(key) || !allWellFormed((value as Record<string, unknown>)[key])) return false;
  return true;
}

/** The path of the first string or key in `value` that is not well-formed, below `path`. */
function pathOfIllFormed(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return isWellFormed(value) ? undefined : path;
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = pathOfIllFormed(value[index], `${path}[${index}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key in value) {
    const at = path ? `${path}.${key}` : key;
    if (!isWellFormed(key)) return at;
    const found = pathOfIllFormed((value as Record<string, unknown>)[key], at);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The path (`data.lines[0].note`) of the first string or key that is not well-formed Unicode, if any.
 * The paths are built only once the check has found one: building each level's path as it went was
 * 0.7 kB of garbage for every event posted.
 */
export function illFormedTextAt(value: unknown, path = ''): string | undefined {
  return allWellFormed(value) ? undefined : pathOfIllFormed(value, path);
}
