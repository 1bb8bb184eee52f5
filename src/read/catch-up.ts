/**
 * A long catch-up through the store's lean reads (`readForFold`), where it has them: pages of
 * events without their id, metadata or recorder, folded in order. What is appended meanwhile, and everything on a
 * store without lean reads, comes through the subscription that follows.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
// Straight from their modules, not events/index.js: the sums worker imports this file, and the
// event catalogue (every schema, zod) cost its start 0.1-0.4 s on a rebuild's critical path.
import type { RecordedEvent, StoredEvent } from '../../events/envelope.js';
import { upcast } from '../../events/upcast.js';
import { LEDGER_STREAM } from '../ledger/book.js';
import type { EventStore, FoldMark, FoldReadFilter, MarkedFoldPage } from '../store/port.js';

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
 * the last position read (`after` when the store has no lean reads). `prepare` sees each page
 * before it is folded: a fold that reads the store (a reversal's target) reads a page's worth at
 * once, not one read at a time. Over the network it runs while the page before it folds.
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
    // A page's reversals' targets in one read, not one read each (12,000 of them at 1M events).
    if (prepare) await prepare(page);
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

/** The events a page's reversals point at, by id. */
function reversalTargetIds(page: readonly StoredEvent[]): string[] {
  const ids: string[] = [];
  for (const stored of page) {
    if (stored.stream !== LEDGER_STREAM || stored.type !== 'EntryReversed') continue;
    const event = upcast(stored);
    if (event.type === 'EntryReversed') ids.push(event.data.eventId);
  }
  return ids;
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
    const ids = reversalTargetIds(page);
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

/** Pages one reader may be ahead of the other and still have them kept: past it, the other reads its own. */
const KEPT_AT_MOST = 8;

/**
 * One read of the log for the two catch-ups of a first start, which begin at the same position: the
 * writer's book folds every event, the projections' main-thread share only the marked ones (the
 * worker folds the rest's sums). Each page is read and parsed once, by whichever reader comes to
 * it first, and kept until the other takes it. Both read the same pages (the same start, head and
 * page size), so a page is found by the position it follows. The log is append-only: a kept page is
 * the page the other would have read. Keeping is only ever a saving: a reader that finds nothing
 * kept reads the page itself.
 */
export class SharedFoldReads {
  private readonly kept = new Map<number, SharedPage>();
  private present = 2;

  constructor(
    /** The store's `readForFoldMarked`. */
    private readonly readMarked: (after: number, limit: number, mark: FoldMark) => MarkedFoldPage,
    /** The position both start after, and the last they fold (the subscriptions take over after it). */
    readonly from: number,
    readonly head: number,
    readonly mark: FoldMark,
    /**
     * The store's `readByIds`: a page's reversals' targets are then read with the page, in one read,
     * for both readers (both fold every reversal). Without it each reversal reads its own, twice.
     */
    private readonly readTargets?: (ids: readonly string[]) => Promise<RecordedEvent[]>,
  ) {}

  /** How many pages are kept for a reader behind. */
  get keeping(): number {
    return this.kept.size;
  }

  /** The two readers: the book's (every event) and the projections' (the marked). */
  readers(): [SharedReader, SharedReader] {
    return [new SharedReader(this, 'every'), new SharedReader(this, 'marked')];
  }

  /** @internal the page after `after`, kept for the other reader while it is still reading. */
  page(after: number): SharedPage {
    const kept = this.kept.get(after);
    if (kept) {
      this.kept.delete(after);
      return kept;
    }
    const page: SharedPage = this.readMarked(after, PAGE, this.mark);
    const ids = this.readTargets ? reversalTargetIds(page.events) : [];
    // Awaited at once by the reader that read the page (SharedReader.catchUp), and by the other when it takes it.
    if (ids.length > 0)
      page.targets = this.readTargets!(ids).then((found) => new Map(found.map((target) => [target.id, target])));
    if (this.present === 2 && this.kept.size < KEPT_AT_MOST) this.kept.set(after, page);
    return page;
  }

  /** @internal */
  left(): void {
    this.present--;
    // The one still reading takes what it needs of the kept pages; those it kept for the other are garbage.
    if (this.present === 0) this.kept.clear();
  }
}

/** A shared page, and its reversals' targets when they are read with it. */
interface SharedPage extends MarkedFoldPage {
  targets?: Promise<ReadonlyMap<string, RecordedEvent>>;
}

export class SharedReader {
  private gone = false;
  /** The targets read with the page being folded. */
  private targets: ReadonlyMap<string, RecordedEvent> | undefined;

  constructor(
    private readonly reads: SharedFoldReads,
    readonly takes: 'every' | 'marked',
  ) {}

  get from(): number {
    return this.reads.from;
  }

  get head(): number {
    return this.reads.head;
  }

  /** The rule the marked reader's events meet. */
  get mark(): FoldMark {
    return this.reads.mark;
  }

  /**
   * Folds (from, head] as `catchUp` does, from the shared pages; then leaves. Resolves to the last
   * position folded.
   */
  async catchUp(onEvent: (event: StoredEvent) => void | Promise<void>): Promise<number> {
    let after = this.reads.from;
    let position = after;
    const head = this.reads.head;
    try {
      while (after < head) {
        const page = this.reads.page(after);
        const { events, marked } = page;
        if (events.length === 0) break;
        this.targets = page.targets ? await page.targets : undefined;
        for (let i = 0; i < events.length; i++) {
          const event = events[i]!;
          if (event.globalPosition > head) return position; // the subscription delivers the rest, once
          if (this.takes === 'marked' && !marked[i]) continue;
          const pending = onEvent(event);
          if (pending !== undefined) await pending;
          position = event.globalPosition;
        }
        after = events[events.length - 1]!.globalPosition;
        await nextTurn();
      }
      return position;
    } finally {
      this.leave();
    }
  }

  /**
   * The event a reversal of the page being folded points at, when it was read with the page; else
   * undefined, and the fold reads it itself (as it does without shared reads).
   */
  target(id: string): RecordedEvent | undefined {
    return this.targets?.get(id);
  }

  /** Done, or not reading after all: the other reader then keeps nothing more for this one. */
  leave(): void {
    if (this.gone) return;
    this.gone = true;
    this.targets = undefined;
    this.reads.left();
  }
}
