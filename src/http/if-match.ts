/**
 * The If-Match header of POST /v1/events: the ledger stream revision the
 * caller decided on. Strong (`"41"`), weak (`W/"41"`, as Emmett's clients
 * send it) and bare (`41`) forms name the same revision: a revision is a
 * number, so weak and strong comparison agree.
 */

/** What the 400 problem shows a caller who sent something else. */
export const IF_MATCH_FORMS =
  '"<revision>", W/"<revision>" or <revision> (a whole number, or -1 for an empty stream), or *';

const REVISION = /^\s*(?:W\/)?("?)(-1|\d{1,15})\1\s*$/;

/** `"41"`, `W/"41"`, `41` → 41; `*` or absent → undefined (no condition); anything else → 'invalid'. */
export function parseIfMatch(header: string | undefined): number | undefined | 'invalid' {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = REVISION.exec(header);
  return match ? Number(match[2]) : 'invalid';
}
