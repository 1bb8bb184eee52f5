/**
 * Text the ledger can store verifiably. Every event becomes an RFC 8785 leaf of the Merkle log,
 * and RFC 8785 has no encoding for a string that is not well-formed Unicode (a lone surrogate
 * such as "\ud800", which JSON.parse happily produces). Such an event could be stored but never
 * signed, and would stop every write after it; so it is refused at the door instead.
 */
export const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * Where the first ill-formed string or key sits, as the steps to it from the deepest up (a key, or an
 * array index); undefined when there is none. The steps are gathered only on the way back from one
 * found: building every level's path on the way down was 0.7 kB of garbage for every event posted.
 */
function stepsToIllFormed(value: unknown): (string | number)[] | undefined {
  if (typeof value === 'string') return isWellFormed(value) ? undefined : [];
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const steps = stepsToIllFormed(value[index]);
      if (steps) {
        steps.push(index);
        return steps;
      }
    }
    return undefined;
  }
  for (const key in value) {
    const steps = isWellFormed(key) ? stepsToIllFormed((value as Record<string, unknown>)[key]) : [];
    if (steps) {
      steps.push(key);
      return steps;
    }
  }
  return undefined;
}

/** The path (`data.lines[0].note`) of the first string or key that is not well-formed Unicode, if any. */
export function illFormedTextAt(value: unknown, path = ''): string | undefined {
  const steps = stepsToIllFormed(value);
  if (!steps) return undefined;
  let at = path;
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    at = typeof step === 'number' ? `${at}[${step}]` : at ? `${at}.${step}` : step;
  }
  return at;
}
