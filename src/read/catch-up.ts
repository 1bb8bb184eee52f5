/**
 * A long catch-up through the store's lean reads (`readForFold`), where it has them: pages of
 * events without their id, metadata or recorder, folded in order. What is appended meanwhile, and everything on a
 * store without lean reads, comes through the subscription that follows.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { upcast, type RecordedEvent, type StoredEvent } from '../../events/index.js';
import { LEDGER_STREAM } from '../ledger/book.js';
import type { EventStore, FoldReadFilter } from '../store/port.js';

/** Small pages: a page's events are garbage once folded, and young garbage is cheap to collect. */
const PAGE = 1000;
/** Over the network a page is a round trip: larger, and the next one is read while this one folds. */
const NETWORK_PAGE = 4000;

async function catchUpByPages(
  readPage: (after: number, limit: number) => Promise<StoredEvent[]>,
  after: number,
  head: number,
  onEvent: (event: StoredEvent) => void | Promise<void>,
  prepare?: (page: readonly StoredEvent[]) => Promise<void>,
): Promise<number> {
  let position = after;
  // A page is prepared (the reads its fold will need, made at once) while the one before it folds.
  const read = (from: number) =>
    prepare
      ? readPage(from, NETWORK_PAGE).then(async (page) => (await prepare(page), page))
      : readPage(from, NETWORK_PAGE);
  let next: Promise<StoredEvent[]> | undefined = read(position);
  try {
    while (next) {
      const page = await next;
      next = undefined;
      const last = page.at(-1)?.globalPosition;
      if (last === undefined) break;
      if (last < head) next = read(last);
      for (const event of page) {
        if (event.globalPosition > head) return position; // the subscription delivers the rest, once
        const pending = onEvent(event);
        if (pending !== undefined) await pending;
        position = event.globalPosition;
      }
    }
  } finally {
    // A page read ahead and not needed (a fold failed, or the head was passed) must not fail unheard.
    next?.catch(() => undefined);
  }
  return position;
}

/**
 * Folds the events after `after` up to `head` (inclusive), as `filter` has them read; resolves to
 * the last position read (`after` when the store has no lean reads). Over the network, `prepare`
 * sees each page before it is folded, while the page before it folds: a fold that reads the
 * store (a reversal's target) reads a page's worth at once there, not one round trip at a time.
 */
export async function catchUp(
  store: EventStore,
  after: number,
  head: number,
  onEvent: (event: StoredEvent) => void | Promise<void>,
  filter?: FoldReadFilter,
  prepare?: (page: readonly StoredEvent[]) => Promise<void>,
): Promise<number> {
  if (!store.readForFold) {
    const readPage = store.readPageForFold?.bind(store);
    return readPage ? catchUpByPages(readPage, after, head, onEvent, prepare) : after;
  }
  let position = after;
  while (position < head) {
    const page = store.readForFold(position, PAGE, filter);
    if (page.length === 0) break;
    for (const event of page) {
      if (event.globalPosition > head) return position; // the subscription delivers the rest, once
      // Await only a fold that is asynchronous (a reversal reads its target): a microtask per event adds up.
      const pending = onEvent(event);
      if (pending !== undefined) await pending;
      position = event.globalPosition;
    }
    // A turn of the event loop per page: timers (a progress bar) and health checks are answered meanwhile.
    await nextTurn();
  }
  return position;
}

/**
 * Reversals' targets read ahead for the pages of a catch-up over the network (`prepare` of
 * catchUp): a page's targets in one readByIds, whose reads go out together, while the page
 * before it folds, so the fold does not wait a round trip per reversal. A target not found is
 * read again when its reversal folds, as without this.
 */
export class TargetsAhead {
  private readonly byId = new Map<string, RecordedEvent>();

  constructor(private readonly store: EventStore) {}

  readonly prepare = async (page: readonly StoredEvent[]): Promise<void> => {
    const ids: string[] = [];
    for (const stored of page) {
      if (stored.stream !== LEDGER_STREAM || stored.type !== 'EntryReversed') continue;
      const event = upcast(stored);
      if (event.type === 'EntryReversed') ids.push(event.data.eventId);
    }
    if (ids.length === 0) return;
    for (const target of await this.store.readByIds(ids)) this.byId.set(target.id, target);
  };

  /** The target read ahead for a reversal, handed out once. */
  take(id: string): RecordedEvent | undefined {
    const target = this.byId.get(id);
    if (target) this.byId.delete(id);
    return target;
  }
}
