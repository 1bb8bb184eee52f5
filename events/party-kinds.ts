/** The kinds of party, as plain data: the schema in values.ts is made from them, and folds read them without zod. */
export const PARTY_KINDS = [
  'donor',
  'mission',
  'contingent',
  'police',
  'military',
  'government',
  'armed-group',
  'contractor',
  'other',
] as const;

/**
 * Parties that stand outside the ledger's books. Their balances may go
 * negative: a donor "owes" what it gave, an armed group loses what was seized.
 */
export const EXTERNAL_PARTY_KINDS: ReadonlySet<(typeof PARTY_KINDS)[number]> = new Set(['donor', 'armed-group']);
