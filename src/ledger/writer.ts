/**
 * The writer: the one place where proposals become stored events.
 *
 * Requests queue up; the writer takes everything queued, decides each batch
 * against the book (folding accepted ones in tentatively so the next batch
 * sees them), and stores the whole group with ONE conditional append on the
 * ledger stream: one fsync for many requests, and an append that only lands
 * if the ledger is still at the revision the decisions were made on. If
 * another writer got there first, the tentative folds are undone, the book
 * catches up, and the group is decided again.
 */
import type { FoldableEvent, RecordedEvent, StoredEvent } from '../../events/index.js';
import { upcast } from '../../events/index.js';
import { isStoreFault, StoreFault, type FaultName } from '../store/faults.js';
import { catchUp, TargetsAhead, type SharedReader } from '../read/catch-up.js';
import { followStore } from '../store/follow.js';
import {
  contentKey,
  IdempotencyConflictError,
  WrongExpectedRevisionError,
  type EventStore,
  type EventToAppend,
  type Subscription,
} from '../store/port.js';
import { evolveBook, initialBook, LEDGER_STREAM, rollBack, type Book, type UndoLog } from './book.js';
import { decide, type Proposal } from './decide.js';
import type { FoldEvent } from '../../events/postings.js';
import { reject, RejectionError, type Rejection } from './rules.js';

export interface Submission {
  proposals: Proposal[];
  recordedBy: string;
  /**
   * Optimistic concurrency for the client: record only if the ledger stream
   * is still at this revision (-1: no event yet) when the batch is decided.
   * A retry of an already recorded batch is answered as a replay regardless.
   */
  expectedRevision?: number;
}

export interface SubmissionResult {
  events: RecordedEvent[];
  /** True when every event was already recorded with the same content: nothing new was written. */
  replayed: boolean;
}

/**
 * Where a submission stands, for the answer it gets if the store does not answer in time:
 * still queued or being decided, nothing can have been written; once its append is sent, it may have been.
 */
type Stage = 'queued' | 'deciding' | 'appending';

interface Pending extends Submission {
  expectedRevision: number | undefined;
  stage: Stage;
  /** Answered (or given up on): later outcomes are not delivered again. */
  settled: boolean;
  resolve(result: SubmissionResult): void;
  reject(error: unknown): void;
}

/** An event of the group being decided, as the feed delivered it: `make` decodes it, if it must be folded. */
interface OwnEvent {
  position: number;
  make(): FoldEvent;
}
type FeedItem = FoldEvent | OwnEvent;

/** The events a group's reversals point at: those stored, and those the group itself decides. */
interface ReversalTargets {
  /** Every id a reversal of the group names. */
  wanted: Set<string>;
  found: Map<string, FoldableEvent>;
}

export interface WriterOptions {
  clock?: () => Date;
  /** Upper bound of events in one group append. */
  maxGroupEvents?: number;
  /**
   * While a group is decided, the writer hands the event loop back (one `setImmediate`) after
   * about this many events, so sockets keep being read and answered during a large group. Default 250.
   */
  yieldEveryEvents?: number;
  /**
   * After a large group, how long the writer may wait for the clients it just answered to come
   * back before it takes the next group (see `gather`). Default 2 ms; 0 turns gathering off.
   */
  gatherMs?: number;
  /** How long a submission may wait for the store before it is answered with a fault. Default 5000 ms. */
  timeoutMs?: number;
  /** How long to wait for the feed to bring another writer's events before reading them directly. Default 1000 ms. */
  feedWaitMs?: number;
  /** Told of every store fault the writer meets (for the operator's log). */
  onFault?: (fault: StoreFault, during: string) => void;
  /** Told when the feed is delivering again after a fault. */
  onRecovered?: () => void;
  /** Awaited after a group is stored and before it is acknowledged (the log signs it here); a failure fails the group's requests. */
  afterAppend?: (events: RecordedEvent[]) => Promise<void>;
}

/** The last store fault the writer met, until an append succeeds again: /ready reports it. */
export interface WriterFault {
  fault: FaultName;
  message: string;
  at: string;
}

/** A book built a part at a time (BookBuilder, from a checkpoint): some more of it, or the rest at once. */
export interface BookInParts {
  /** Builds up to `count` more entries; true while some remain. */
  step(count: number): boolean;
  finish(): Book;
}

export class LedgerWriter {
  private held: Book = initialBook();
  /** A book restored from a checkpoint but not built yet (restoreLater): where it stands, and how to build it. */
  private unbuilt: { position: number; builder: BookInParts } | undefined;
  private queue: Pending[] = [];
  private running = false;
  /** True from a group's first decision until its append has landed or been rolled back. */
  private deciding = false;
  private feed: FeedItem[] = [];
  /** The ids of the group being decided and the reversal targets it read: its own events need no decoding or read. */
  private own: { ids: ReadonlySet<string>; targets: ReadonlyMap<string, FoldableEvent> } | undefined;
  private subscription: Subscription | undefined;
  private feedWaiters: { revision: number; resolve: () => void }[] = [];
  private readonly clock: () => Date;
  private readonly maxGroupEvents: number;
  private readonly yieldEveryEvents: number;
  private readonly timeoutMs: number;
  private readonly gatherMs: number;
  /** Set while the writer waits for submissions to gather: how many it waits for, and how to stop waiting. */
  private gathering: { want: number; done: () => void } | undefined;
  /** Submissions in the last group taken: what `gather` expects back from the clients it answered. */
  private lastGroupSize = 0;
  private readonly feedWaitMs: number;
  private readonly afterAppend: WriterOptions['afterAppend'];
  private idle: Promise<void> = Promise.resolve();
  /** The last store fault met, cleared by the next successful append. */
  fault: WriterFault | undefined;
  /** Set when the feed stopped for good (a fold failed): the book no longer follows the store. */
  stopped: Error | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly options: WriterOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.maxGroupEvents = options.maxGroupEvents ?? 2000;
    this.yieldEveryEvents = options.yieldEveryEvents ?? 250;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.gatherMs = options.gatherMs ?? 2;
    this.feedWaitMs = options.feedWaitMs ?? 1000;
    this.afterAppend = options.afterAppend;
  }

  /** What the writer decides against; a book restored by `restoreLater` is finished the first time it is asked for. */
  get book(): Book {
    // Taken down only once built: a build that throws must not leave an empty book to decide against.
    if (this.unbuilt) {
      this.held = this.unbuilt.builder.finish();
      this.unbuilt = undefined;
    }
    return this.held;
  }

  /** The position the book reflects, without building a restored one. */
  get position(): number {
    return this.unbuilt?.position ?? this.held.position;
  }

  /** Takes up a book saved by a checkpoint; `start` then folds only what came after it. Before `start` only. */
  restore(book: Book): void {
    this.unbuilt = undefined;
    this.held = book;
  }

  /**
   * Takes up a book saved by a checkpoint at `position`, to be built when first needed: a restart
   * answers once the projections are restored, and builds the book just after, a part at a time
   * between requests (serve.ts), or at once at the first write or fold if one comes first. Building
   * it (56,140 shipments at 1M events) is 0.15-0.2 s that reads never wait for. Before `start` only.
   */
  restoreLater(position: number, builder: BookInParts): void {
    this.unbuilt = { position, builder };
  }

  /**
   * Builds up to `entries` more of a book restored with `restoreLater`, so that the first write
   * does not wait for it; true while some remain.
   */
  prepareForWrites(entries = Infinity): boolean {
    if (!this.unbuilt) return false;
    if (this.unbuilt.builder.step(entries)) return true;
    void this.book;
    return false;
  }

  /**
   * Folds the stored history into the book, then follows appends made by other writers. `shared`:
   * the log's pages as read once for the book and the projections (a first start), used when the
   * book starts where they do.
   */
  async start(shared?: SharedReader): Promise<void> {
    await this.catchUpInPages(shared).catch((error: unknown) => {
      this.stopped = error instanceof Error ? error : new Error(String(error));
      throw error;
    });
    await new Promise<void>((caughtUp, failed) => {
      this.subscription = followStore(this.store, this.position, {
        // The book folds the ledger stream alone (EventStoreDB's adapter then serves this from its index's subscription).
        streams: [LEDGER_STREAM],
        onEvent: (event) => {
          if (event.stream !== LEDGER_STREAM) return;
          // Our own appends are in the book already. (Mid-group the book's position is provisional: check later.)
          if (!this.deciding && event.globalPosition <= this.book.position) return;
          // One of the group being decided, delivered before its append returned: it is folded only
          // if that append turns out to have failed after all, so it is decoded only then.
          const lazy = this.deciding ? this.ownEvent(event) : undefined;
          if (lazy) return void this.feed.push(lazy);
          const ledgerEvent = upcast(event);
          if (ledgerEvent.type === 'EntryReversed')
            return resolveTarget(this.store, ledgerEvent).then((foldable) => this.accept(foldable));
          this.accept(ledgerEvent);
        },
        onCaughtUp: () => caughtUp(),
        onFault: (fault) => this.options.onFault?.(fault, 'following the store'),
        onRecovered: () => this.options.onRecovered?.(),
        onError: (error) => {
          this.stopped = error;
          failed(error);
        },
      });
    });
  }

  /**
   * Behind the store (a first start, or a book checkpoint far behind): the book folds the log in
   * the lean pages the projector's catch-up reads (no id, metadata or recorder decoded; over the
   * network, reversals' targets read ahead), then the subscription takes over from the last
   * position. The subscription decodes every event whole: at a million events, the book's
   * catch-up through it cost the main thread about 4 s more.
   */
  private async catchUpInPages(shared?: SharedReader): Promise<void> {
    const mine = shared?.from === this.position ? shared : undefined;
    if (!mine) shared?.leave();
    try {
      await this.catchUpInPagesFrom(mine);
    } finally {
      shared?.leave(); // read or not, nothing more is kept for the book
    }
  }

  private async catchUpInPagesFrom(shared: SharedReader | undefined): Promise<void> {
    if (!this.store.readForFold && !this.store.readPageForFold) return;
    const head = await this.store.headPosition();
    if (head <= this.position) return;
    const ahead = new TargetsAhead(this.store);
    const foldStored = (stored: StoredEvent): void | Promise<void> => {
      if (stored.stream !== LEDGER_STREAM) return;
      const event = upcast(stored);
      if (event.type !== 'EntryReversed') return this.fold(event);
      const target = ahead.take(event.data.eventId) ?? shared?.target(event.data.eventId);
      if (target) return this.fold({ ...event, target: upcast(target) });
      return resolveTarget(this.store, event).then((foldable) => this.fold(foldable));
    };
    if (shared) await shared.catchUp(foldStored);
    else await catchUp(this.store, this.book.position, head, foldStored, undefined, ahead.prepare);
  }

  /** A feed item for an event of the group being decided, folded (and decoded) only if the book does not hold it. */
  private ownEvent(event: RecordedEvent): OwnEvent | undefined {
    const own = this.own;
    if (!own?.ids.has(event.id)) return undefined;
    let target: FoldableEvent | undefined;
    if (event.type === 'EntryReversed') {
      target = own.targets.get((event.data as { eventId?: string } | null)?.eventId ?? '');
      if (!target) return undefined; // not among what the group read: resolved as any other event
    }
    return {
      position: event.globalPosition,
      make: () => {
        const ledgerEvent = upcast(event);
        return ledgerEvent.type === 'EntryReversed' ? { ...ledgerEvent, target } : ledgerEvent;
      },
    };
  }

  /** While a group's decisions are folded in tentatively, others' events wait their turn. */
  private accept(event: FoldEvent): void {
    if (this.deciding) this.feed.push(event);
    else this.fold(event);
  }

  async close(): Promise<void> {
    await this.idle;
    await this.subscription?.close();
  }

  /** Decides and stores one atomic batch. Rejects with RejectionError when a rule refuses it. */
  submit(submission: Submission): Promise<SubmissionResult> {
    return new Promise((resolve, reject) => {
      // Not unref'd: a submission someone awaits keeps the process alive until it is answered.
      const timer = setTimeout(() => this.timeOut(pending), this.timeoutMs);
      const settle = () => {
        if (pending.settled) return false;
        pending.settled = true;
        clearTimeout(timer);
        return true;
      };
      // Field by field, not `...submission`: V8 copied the spread on a slow path, 3 µs against
      // 0.3 µs a submission by hand, and about 4 µs of a single POST's main thread in a profile.
      // A field added to Submission must be added here too (an optional one would be dropped).
      const pending: Pending = {
        proposals: submission.proposals,
        recordedBy: submission.recordedBy,
        expectedRevision: submission.expectedRevision,
        stage: 'queued',
        settled: false,
        resolve: (result) => settle() && resolve(result),
        reject: (error) => settle() && reject(error),
      };
      this.queue.push(pending);
      if (this.gathering && this.queue.length >= this.gathering.want) this.gathering.done();
      if (!this.running) this.idle = this.drain();
    });
  }

  /**
   * The store did not answer in time. A submission not yet sent is withdrawn, so the client
   * knows nothing was written; one whose append is on its way may or may not be stored.
   */
  private timeOut(pending: Pending): void {
    if (pending.settled) return;
    if (pending.stage === 'appending') {
      pending.reject(
        new StoreFault(
          'append-outcome-unknown',
          `the store did not confirm the append within ${this.timeoutMs} ms; it may or may not be stored: retry with the same event ids (a stored event is then answered as a replay)`,
        ),
      );
      return;
    }
    // Queued: taken out of the queue. Deciding: dropped from its group before the append (runGroup checks `settled`).
    this.queue = this.queue.filter((p) => p !== pending);
    pending.reject(
      new StoreFault('store-unavailable', `the store did not answer within ${this.timeoutMs} ms; nothing was written`),
    );
  }

  private fold(event: FoldEvent): void {
    if (event.globalPosition <= this.book.position) return; // our own append, already folded
    evolveBook(this.book, event);
    this.feedWaiters = this.feedWaiters.filter((w) => {
      if ((this.book.revision ?? -1) < w.revision) return true;
      w.resolve();
      return false;
    });
  }

  private endDeciding(): void {
    this.deciding = false;
    this.drainFeed();
  }

  private drainFeed(): void {
    const events = this.feed;
    this.feed = [];
    for (const item of events)
      if (!('make' in item)) this.fold(item);
      else if (item.position > this.book.position) this.fold(item.make());
  }

  /** Never rejects: every failure is answered to the submissions it concerns. */
  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let first = true; this.queue.length > 0; first = false) {
        if (!first || this.lastGroupSize >= 4) await this.gather(this.lastGroupSize);
        this.drainFeed();
        const group = this.takeGroup();
        this.lastGroupSize = group.length;
        await this.runGroup(group);
      }
    } catch (error) {
      // runGroup answers its own failures; this is the last resort, so that nobody waits forever.
      for (const pending of this.queue) pending.reject(error);
      this.queue = [];
    } finally {
      this.running = false;
      this.drainFeed();
    }
  }

  /**
   * Between groups. One turn of the event loop at least, so the requests that arrived while the
   * last commit held the loop are read and join the next group. After a large group, more: the
   * clients it answered come back together, but the first of them is read a turn before the
   * rest, and a group of that one alone would cost a commit (and a signature) of its own, then
   * the next group the rest — groups of 1 and 49 in turn, twice the commits. So when fewer than
   * half as many as the last group are waiting, the writer waits until they are, or `gatherMs`.
   * After a group of 1 (one client at a time) nothing is waited for.
   */
  private gather(lastSize: number): Promise<void> {
    return new Promise<void>((resume) => {
      setImmediate(() => {
        const want = Math.floor(lastSize / 2);
        if (this.gatherMs <= 0 || want < 2 || this.queue.length >= want) return resume();
        const done = () => {
          clearTimeout(timer);
          this.gathering = undefined;
          resume();
        };
        const timer = setTimeout(done, this.gatherMs);
        this.gathering = { want, done };
      });
    });
  }

  private takeGroup(): Pending[] {
    const group: Pending[] = [];
    const ids = new Set<string>();
    let events = 0;
    const deferred: Pending[] = [];
    for (const pending of this.queue) {
      const repeatsAnId = pending.proposals.some((p) => ids.has(p.id));
      if (repeatsAnId || (group.length > 0 && events + pending.proposals.length > this.maxGroupEvents)) {
        // A concurrent retry of an id in this group is answered after the group lands, as a replay.
        deferred.push(pending);
        continue;
      }
      for (const p of pending.proposals) ids.add(p.id);
      events += pending.proposals.length;
      group.push(pending);
    }
    this.queue = deferred;
    return group;
  }

  private async runGroup(initial: Pending[]): Promise<void> {
    let group = initial;
    for (let attempt = 0; ; attempt++) {
      group = group.filter((p) => !p.settled); // answered meanwhile (timed out)
      if (group.length === 0) return;
      for (const pending of group) pending.stage = 'deciding';
      let byId: Map<string, RecordedEvent>;
      let targets: ReversalTargets;
      try {
        // Ids the server assigned are new by construction: only clients' ids can be retries.
        const clientIds: string[] = [];
        for (const g of group) for (const p of g.proposals) if (!p.idAssigned) clientIds.push(p.id);
        const stored = clientIds.length === 0 ? [] : await this.store.readByIds(clientIds);
        byId = new Map(stored.map((e) => [e.id, e]));
        targets = await this.reversalTargets(group);
      } catch (error) {
        this.failGroup(group, error, 'reading ids before an append');
        return;
      }
      const undo: UndoLog = [];
      let accepted: { pending: Pending; events: EventToAppend[] }[];
      this.drainFeed();
      const ids = new Set<string>();
      for (const pending of group) for (const proposal of pending.proposals) ids.add(proposal.id);
      this.own = { ids, targets: targets.found };
      this.deciding = true;
      const expected = this.book.revision ?? 'no-stream';
      try {
        accepted = await this.decideGroup(group, byId, targets, undo);
      } catch (error) {
        // A bug in a rule, not the client's fault: nothing is kept, everyone in the group is told.
        rollBack(undo);
        this.endDeciding();
        this.failGroup(group, error, 'deciding');
        return;
      }
      if (accepted.some((a) => a.pending.settled)) {
        // Someone timed out while the group was decided: decide again without them, so they are not written.
        rollBack(undo);
        this.endDeciding();
        group = accepted.map((a) => a.pending);
        continue;
      }
      if (accepted.length === 0) {
        this.endDeciding();
        return;
      }
      for (const { pending } of accepted) pending.stage = 'appending';
      try {
        const result = await this.store.append(
          LEDGER_STREAM,
          accepted.flatMap((a) => a.events),
          expected,
        );
        this.book.position = result.lastPosition;
        this.book.revision = result.streamRevision;
        this.fault = undefined;
        // Signed before it is acknowledged: a group the log could not sign is stored but not confirmed.
        const unsigned = await this.afterAppend?.(result.events).then(
          () => undefined,
          (error: unknown) =>
            isStoreFault(error)
              ? error
              : new StoreFault(
                  'append-outcome-unknown',
                  `the events were stored but their checkpoint could not be signed (${error instanceof Error ? error.message : String(error)}): retry with the same event ids`,
                  { cause: error },
                ),
        );
        if (unsigned !== undefined) {
          this.failGroup(
            accepted.map((a) => a.pending),
            unsigned,
            'signing',
          );
          this.endDeciding();
          return;
        }
        let offset = 0;
        for (const { pending, events } of accepted) {
          pending.resolve({ events: result.events.slice(offset, offset + events.length), replayed: false });
          offset += events.length;
        }
        this.endDeciding();
        return;
      } catch (error) {
        rollBack(undo);
        this.endDeciding();
        // Only what was accepted is decided again: answers already given stand.
        group = accepted.map((a) => a.pending);
        if (error instanceof IdempotencyConflictError && attempt < 20) continue; // raced a retry on another replica: re-check ids
        if (error instanceof WrongExpectedRevisionError && attempt < 20) {
          // Another writer appended first: catch up with what it wrote, then decide again.
          try {
            await this.catchUpTo(error.actual ?? -1);
          } catch (readError) {
            this.failGroup(group, readError, 'catching up after another writer');
            return;
          }
          continue;
        }
        this.failGroup(group, error, 'appending');
        return;
      }
    }
  }

  /**
   * Decides every submission of the group in turn, folding the accepted ones in tentatively.
   * Between submissions it yields to the event loop now and then: a group of thousands of events
   * decided in one go would leave every socket unread meanwhile. Nothing else touches the book
   * while it yields (others' events wait in `feed`, the next group waits for this one).
   */
  private async decideGroup(
    group: Pending[],
    byId: Map<string, RecordedEvent>,
    targets: ReversalTargets,
    undo: UndoLog,
  ): Promise<{ pending: Pending; events: EventToAppend[] }[]> {
    const accepted: { pending: Pending; events: EventToAppend[] }[] = [];
    let provisional = this.book.position;
    // The ledger's revision as each batch is decided: earlier batches of the group move it on.
    let revisionNow = this.book.revision ?? -1;
    let sinceYield = 0;
    for (const pending of group) {
      if (sinceYield >= this.yieldEveryEvents) {
        sinceYield = 0;
        await new Promise<void>((resume) => setImmediate(resume));
      }
      if (pending.settled) continue; // timed out while the group was decided: answered already, not written
      sinceYield += pending.proposals.length;
      const replay = replayOf(pending, byId);
      if (replay) {
        if (replay instanceof RejectionError) pending.reject(replay);
        else pending.resolve(replay);
        continue;
      }
      if (pending.expectedRevision !== undefined && pending.expectedRevision !== revisionNow) {
        pending.reject(
          new RejectionError(
            reject(
              'expected-revision-mismatch',
              `the ledger is at revision ${revisionNow}, not ${pending.expectedRevision}: read what was recorded since, decide again`,
              undefined,
              { expectedRevision: pending.expectedRevision, currentRevision: revisionNow },
            ),
          ),
        );
        continue;
      }
      const mark = undo.length;
      const outcome = this.decideBatch(pending, targets, () => ++provisional, undo);
      if ('rejection' in outcome) {
        rollBack(undo.splice(mark));
        pending.reject(new RejectionError(outcome.rejection));
        continue;
      }
      revisionNow += outcome.events.length;
      accepted.push({ pending, events: outcome.events });
    }
    return accepted;
  }

  /** Answers every submission of a group that failed with the error; a store fault is remembered for /ready. */
  private failGroup(group: Pending[], error: unknown, during: string): void {
    // Every client is answered before the operator's hook runs: a hook that throws must not leave them waiting.
    for (const pending of group) pending.reject(error);
    if (isStoreFault(error)) {
      this.fault = { fault: error.fault, message: error.message, at: this.clock().toISOString() };
      try {
        this.options.onFault?.(error, during);
      } catch {
        // The hook only reports; the fault itself is in /ready (this.fault) and in every answer.
      }
    }
  }

  private decideBatch(
    pending: Pending,
    targets: ReversalTargets,
    nextPosition: () => number,
    undo: UndoLog,
  ): { events: EventToAppend[] } | { rejection: Rejection } {
    const now = this.clock();
    const recordedAt = now.toISOString();
    const { proposals, recordedBy } = pending;
    const events: EventToAppend[] = [];
    for (let index = 0; index < proposals.length; index++) {
      const proposal = proposals[index]!;
      const target = proposal.type === 'EntryReversed' ? targets.found.get(proposal.data.eventId) : undefined;
      const decision = decide(proposal, this.book, { now, target });
      if (!decision.ok) return { rejection: inBatch(decision.rejection, index, proposals.length) };
      for (const accepted of decision.events) {
        const event: EventToAppend = {
          id: accepted.id,
          type: accepted.type,
          schemaVersion: accepted.schemaVersion,
          occurredAt: accepted.occurredAt,
          recordedBy,
          data: accepted.data,
          metadata: accepted.metadata,
        };
        events.push(event);
        // As it will be stored, with a provisional position. One shape for every event (no spread), for V8.
        const provisional = {
          id: event.id,
          type: event.type,
          schemaVersion: event.schemaVersion,
          occurredAt: event.occurredAt,
          recordedBy,
          data: event.data,
          metadata: event.metadata,
          stream: LEDGER_STREAM,
          globalPosition: nextPosition(),
          streamRevision: -1,
          recordedAt,
          target,
        } as FoldEvent;
        // Kept only when a later proposal of this group reverses it.
        if (targets.wanted.has(event.id)) targets.found.set(event.id, provisional);
        evolveBook(this.book, provisional, undo);
      }
    }
    return { events };
  }

  private async reversalTargets(group: Pending[]): Promise<ReversalTargets> {
    const wanted = new Set<string>();
    for (const g of group) for (const p of g.proposals) if (p.type === 'EntryReversed') wanted.add(p.data.eventId);
    if (wanted.size === 0) return { wanted, found: new Map() };
    const found = await this.store.readByIds([...wanted]);
    return {
      wanted,
      found: new Map(found.filter((e) => e.stream === LEDGER_STREAM).map((e) => [e.id, upcast(e)])),
    };
  }

  /**
   * Brings the book to the ledger's `revision`: the feed normally delivers it at once, but a
   * feed can lag or stall (another process appended to an embedded store, whose feed wakes on
   * its own commits): after `feedWaitMs` the writer reads the ledger stream itself.
   */
  private async catchUpTo(revision: number): Promise<void> {
    if ((this.book.revision ?? -1) >= revision) return;
    const reached = await new Promise<boolean>((resolve) => {
      // The timer goes with the wait: a feed that delivers in time leaves nothing behind to keep the process up.
      const timer = setTimeout(() => {
        this.feedWaiters = this.feedWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, this.feedWaitMs);
      const waiter = {
        revision,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.feedWaiters.push(waiter);
    });
    if (reached) return;
    const missed = await this.store.readStream(LEDGER_STREAM, { after: this.book.revision ?? -1 });
    for (const event of missed) this.fold(await resolveTarget(this.store, upcast(event)));
  }
}

/** Resolves the event a reversal points at, so folds of it stay pure. */
export async function resolveTarget(store: EventStore, event: FoldableEvent): Promise<FoldEvent> {
  if (event.type !== 'EntryReversed') return event;
  const [target] = await store.readByIds([event.data.eventId]);
  return target ? { ...event, target: upcast(target) } : event;
}

/**
 * Idempotency: a batch whose ids are all recorded with the same content is
 * answered with the original events; any other use of a recorded id is a conflict.
 */
function replayOf(pending: Pending, stored: Map<string, RecordedEvent>): SubmissionResult | RejectionError | undefined {
  const found = pending.proposals.map((p) => stored.get(p.id));
  if (found.every((e) => e === undefined)) return undefined;
  for (const [index, proposal] of pending.proposals.entries()) {
    const original = found[index];
    if (!original || contentKey(original.stream, original) !== contentKey(LEDGER_STREAM, proposal))
      return new RejectionError(
        inBatch(
          reject(
            'idempotency-conflict',
            original
              ? `event ${proposal.id} was recorded at position ${original.globalPosition} with different content`
              : `the batch mixes recorded and new event ids; event ${proposal.id} is new`,
            'id',
            { eventId: proposal.id, ...(original ? { position: original.globalPosition } : {}) },
          ),
          index,
          pending.proposals.length,
        ),
      );
  }
  return { events: found as RecordedEvent[], replayed: true };
}

/** In a batch, a field path names the event's index: `[2].data.lines[0].quantity.value`. */
function inBatch(rejection: Rejection, index: number, size: number): Rejection {
  if (size === 1) return rejection;
  return {
    ...rejection,
    field: `[${index}]${rejection.field ? `.${rejection.field}` : ''}`,
    context: { ...rejection.context, batchIndex: index },
  };
}
