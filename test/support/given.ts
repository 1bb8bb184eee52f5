/**
 * Given / when / then for the ledger's rules, over tap: given these recorded
 * events, when this event is proposed, then it is accepted (or refused by
 * this rule). Reads as a sentence a logistics officer could check.
 */
import type { Test } from 'tap';
import type { IncomingEvent, LedgerEvent } from '../../events/index.js';
import { evolveBook, initialBook, LEDGER_STREAM, type Book } from '../../src/ledger/book.js';
import { decide, type Decision } from '../../src/ledger/decide.js';
import type { FoldEvent } from '../../events/postings.js';
import type { Rejection, RuleName } from '../../src/ledger/rules.js';
import { toProposal } from '../../src/http/routes/events.js';

export const NOW = new Date('2026-11-25T12:00:00Z');

/** Records events as the store would: positions, revisions, recordedAt. */
export function record(events: readonly IncomingEvent[]): LedgerEvent[] {
  return events.map((incoming, index) => ({
    ...toProposal(incoming),
    stream: LEDGER_STREAM,
    streamRevision: index,
    globalPosition: index + 1,
    recordedAt: NOW.toISOString(),
    recordedBy: 'test',
  })) as LedgerEvent[];
}

export function bookOf(recorded: readonly LedgerEvent[]): Book {
  const byId = new Map(recorded.map((e) => [e.id, e]));
  const book = initialBook();
  for (const event of recorded) {
    const target = event.type === 'EntryReversed' ? byId.get(event.data.eventId) : undefined;
    evolveBook(book, (target ? { ...event, target } : event) as FoldEvent);
  }
  return book;
}

export function given(history: readonly IncomingEvent[]) {
  const recorded = record(history);
  const book = bookOf(recorded);
  return {
    book,
    when(proposed: IncomingEvent) {
      const proposal = toProposal(proposed);
      const target =
        proposal.type === 'EntryReversed' ? recorded.find((e) => e.id === proposal.data.eventId) : undefined;
      const decision: Decision = decide(proposal, book, { now: NOW, target });
      return {
        decision,
        thenAccepted(t: Test) {
          t.ok(
            decision.ok,
            decision.ok ? 'accepted' : `refused: ${decision.rejection.rule} ${decision.rejection.detail}`,
          );
        },
        thenRefused(t: Test, rule: RuleName, field?: string): Rejection | undefined {
          if (decision.ok) {
            t.fail(`expected ${rule}, but the event was accepted`);
            return undefined;
          }
          t.equal(decision.rejection.rule, rule, `refused by ${rule}`);
          if (field !== undefined) t.equal(decision.rejection.field, field, `names the field ${field}`);
          return decision.rejection;
        },
      };
    },
  };
}
