/**
 * The EventStoreDB adapter of the store port, on `@eventstore/db-client` v6.
 *
 * Positions. The port's global position is EventStoreDB's $all commit
 * position, as a number. gRPC appends are implicit transactions, so every
 * event has its own commit position (equal to its prepare position): unique,
 * increasing in $all order, stable across replicas and scavenges, but neither
 * contiguous nor starting at 1. Safe as a number up to 2^53 bytes of log (8
 * PiB). Position 0 never holds a ledger event: the log starts with the
 * server's own records, so `after: 0` means "from the start".
 *
 * Idempotency. EventStoreDB's own duplicate check is best effort (with
 * expected revision `any` it only knows ids in a bounded cache), so the
 * adapter keeps its own index of event id → position, built on open by
 * reading $all and fed by its own $all subscription. Every append first
 * brings the index up to the server's head, then: all ids known with the same
 * content → the original events, `replayed: true`; any id known with other
 * content, or a batch mixing known and new ids → IdempotencyConflictError.
 * Appends of one adapter are serialised, so two requests on one replica never
 * race. Across replicas a race remains between the index catch-up and the
 * append: with `any`, two replicas can both miss an id and both write it if
 * the server's cache has lost it too. The service closes that window by
 * appending every ledger event to one stream with an exact expected revision:
 * the loser gets a wrong-expected-version, catches up, now knows the id, and
 * answers with the original position. When the server itself reports an
 * identical replay as success (it does for an exact revision), the adapter
 * reads the events back, compares their content (a different content under
 * the same id is a conflict the server cannot see) and tells a replay from
 * its own write by a per-append id in the metadata.
 *
 * Faults. Every call to the server has a deadline (`timeoutMs`), and so has an
 * append as a whole. What reaches a caller is either the ledger's own answer
 * (a conflict, a replay) or a StoreFault: `store-unavailable` when nothing
 * was written (the server was down, did not answer a read, or refused the
 * connection before an append was sent), `append-outcome-unknown` when an
 * append was sent and its answer lost — the retry with the same ids is then
 * answered as a replay or written once, by the idempotency above. The
 * adapter's own subscriptions resubscribe until the server is back.
 *
 * Retention. Ledger events are never deleted: this adapter has no method that
 * sets stream metadata, and `checkRetentionPolicies` reports any ledger
 * stream on which `$maxAge`, `$maxCount` or `$tb` were set by other means.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import {
  ANY,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  NotLeaderError,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type Position,
  type ResolvedEvent,
  type StreamingRead,
} from '@eventstore/db-client';
import { v5 as uuidV5 } from 'uuid';
import type { EventMetadata, RecordedEvent, StoredEvent } from '../../events/index.js';
import { loadCheckpoint, saveCheckpoint } from '../read/checkpoint.js';
import { StartupError } from './data-dir.js';
import { StoreFault, isStoreFault, within } from './faults.js';
import { createdIso, LeanSubscription, readAllLean, type LeanFilter, type LeanRecord } from './eventstoredb-lean.js';
import { IdIndex, type IdIndexExport } from './id-index.js';
import {
  IdempotencyConflictError,
  WrongExpectedRevisionError,
  contentKey,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadOptions,
  type SubscribeHandlers,
  type Subscription,
} from './port.js';

export interface EventStoreDbOptions {
  /** `esdb://host:2113?tls=true`, `esdb+discover://…` for a cluster; TLS and credentials come from it. */
  connectionString: string;
  /** Backoff between resubscriptions after a dropped connection. */
  resubscribeDelayMs?: { initial: number; max: number };
  /** Events per page when reading $all. */
  pageSize?: number;
  /**
   * How long one call to the server may take, and an append as a whole
   * (catch-up, write, read-back), before the caller is answered with a
   * StoreFault. Default 4000 ms: keep it below the service's own bound so the
   * adapter, which knows whether an append was sent, is the one to answer.
   */
  timeoutMs?: number;
  /**
   * The streams whose event ids the adapter indexes for idempotency (the service: the ledger's
   * one stream). Their events are all the index reads, filtered on the server. Default: every
   * stream but the server's own.
   */
  indexStreams?: readonly string[];
  /**
   * Where the id index was saved (`saveIdIndex`): opening takes it up and reads only the events
   * appended after the position it covers. Missing, damaged or from another store: $all is read.
   */
  indexFile?: string;
  /** How long an append waits for its own events on the adapter's subscription before reading them back. Default 500 ms. */
  ownEventsWaitMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 4000;

/**
 * The oldest server the adapter runs on, and why: it takes positions from stream reads (22.6+)
 * and needs the subscription's caught-up signal (23.10+) to know when its index is current.
 */
export const MIN_SERVER_VERSION = { major: 23, minor: 10 } as const;
const REQUIRED_FEATURES = 'positions in stream reads (22.6+) and the caught-up signal of subscriptions (23.10+)';

/** One clear line when the server is older than the adapter needs; undefined when it will do. */
export function serverVersionProblem(version: string): string | undefined {
  const match = /^(\d+)\.(\d+)/.exec(version);
  const needed = `${MIN_SERVER_VERSION.major}.${MIN_SERVER_VERSION.minor}`;
  if (!match)
    return `the EventStoreDB server does not report its version (${version}): MSS Ledger needs ${needed} or later, for ${REQUIRED_FEATURES}`;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (major > MIN_SERVER_VERSION.major || (major === MIN_SERVER_VERSION.major && minor >= MIN_SERVER_VERSION.minor))
    return undefined;
  return `the EventStoreDB server is version ${version}: MSS Ledger needs ${needed} or later, for ${REQUIRED_FEATURES}`;
}

export const ID_INDEX_CHECKPOINT = 'eventstoredb-id-index';

/** What the id index's checkpoint holds beside the position it covers. */
export interface SavedIdIndex {
  index: IdIndexExport;
  /** The last revision indexed per stream. */
  revisions: [string, number][];
  /** Which streams it indexes (a checkpoint of another choice is not taken up). */
  streams: readonly string[] | 'all';
}

/**
 * The adapter's bound for a service that answers every request within
 * `requestBoundMs` (STORE_TIMEOUT_MS): a little less, so a timed-out append is
 * answered by the adapter, which knows whether it was sent.
 */
export const callTimeoutWithin = (requestBoundMs: number | undefined): number =>
  requestBoundMs === undefined ? DEFAULT_TIMEOUT_MS : Math.max(50, Math.floor(requestBoundMs * 0.8));

/** A ledger stream whose metadata lets EventStoreDB delete events. */
export interface RetentionViolation {
  stream: string;
  maxAge?: number;
  maxCount?: number;
  /** A revision, or 'end' when the whole stream was truncated. */
  truncateBefore?: number | 'start' | 'end';
}

export interface EventStoreDbStore extends EventStore {
  /** Reads each stream's metadata and reports `$maxAge`, `$maxCount` or `$tb` (for /ready). */
  checkRetentionPolicies(streams: readonly string[]): Promise<RetentionViolation[]>;
  /** Saves the id index with the $all position it covers; returns the bytes written. */
  saveIdIndex(file: string): Promise<number>;
  /** The server's version, as it reported it at open. */
  readonly serverVersion: string;
  /** How many ids the index holds and its bytes in memory. */
  readonly idIndexStats: { ids: number; bytes: number; position: number };
}

/** Keys the adapter keeps in an event's metadata beside the port's EventMetadata. */
interface StoredMetadata extends EventMetadata {
  occurredAt: string;
  recordedBy: string;
  schemaVersion: number;
  /** Which append wrote the event: tells a replay from our own write. */
  appendId?: string;
  /** The port's id when it is not a lowercase UUID (EventStoreDB ids must be UUIDs). */
  eventId?: string;
}

/** Namespace for deriving EventStoreDB UUIDs from ids that are not UUIDs. */
const ID_NAMESPACE = '8d3c5a52-6f4e-4f0b-9a4e-2f1d7c0b5e11';
const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function openEventStoreDbStore(options: EventStoreDbOptions): Promise<EventStoreDbStore> {
  const store = new EventStoreDbAdapter(options);
  try {
    await store.open();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

class EventStoreDbAdapter implements EventStoreDbStore {
  readonly engine = 'eventstoredb';
  serverVersion = 'unknown';
  private readonly client: EventStoreDBClient;
  private readonly pageSize: number;
  private readonly backoff: { initial: number; max: number };
  private readonly timeoutMs: number;
  private readonly ownEventsWaitMs: number;
  private readonly indexStreams: ReadonlySet<string> | undefined;
  private readonly indexFile: string | undefined;
  /** The deadline of a call outside an append: the whole bound, per call. */
  private readonly perCall: Budget;
  /** Event id → global position(s), for the indexed streams (see id-index.ts). */
  private index = new IdIndex();
  /** The last revision indexed per stream: an append expecting at most that needs no catch-up first. */
  private readonly revisions = new Map<string, number>();
  /** The index has seen every event up to this position (system records included). */
  private indexedUpTo = 0;
  /** The last non-system event the index has seen: what a saved index says it covers. */
  private lastEventSeen = 0;
  private indexSubscription: ResilientSubscription | undefined;
  private readonly subscriptions = new Set<ResilientSubscription>();
  /** Subscriptions served from the index subscription's own deliveries (see IndexRider). */
  private readonly riders = new Set<IndexRider>();
  /** The appends waiting for their own events on the index subscription. */
  private readonly ownEventWaiters = new Set<OwnEvents>();
  private appendQueue: Promise<unknown> = Promise.resolve();
  /** The last append met a fault: the next one checks with the server before it writes. */
  private afterFault = false;
  private closed = false;

  constructor(options: EventStoreDbOptions) {
    this.client = EventStoreDBClient.connectionString(options.connectionString);
    this.pageSize = options.pageSize ?? 1000;
    this.backoff = options.resubscribeDelayMs ?? { initial: 100, max: 5000 };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.ownEventsWaitMs = options.ownEventsWaitMs ?? 500;
    this.indexStreams = options.indexStreams ? new Set(options.indexStreams) : undefined;
    this.indexFile = options.indexFile;
    this.perCall = () => this.timeoutMs;
  }

  get idIndexStats() {
    return { ids: this.index.size, bytes: this.index.bytes, position: this.lastEventSeen };
  }

  async open(): Promise<void> {
    await this.checkServerVersion();
    if (this.indexFile) await this.takeUpSavedIndex(this.indexFile);
    // A long $all is read in pages, each with its own deadline: a big store opens slowly, a dead one fails fast.
    await readFault(() => this.catchUpIndex(this.perCall));
    this.indexSubscription = new ResilientSubscription(
      this.client,
      this.indexedUpTo,
      this.backoff,
      {
        onEvent: (event, appendId) => {
          this.indexEvent(event, appendId);
          // Indexed first: whatever a rider's handler folds, the index knows too.
          for (const rider of this.riders) rider.offer(event);
        },
      },
      undefined,
      this.timeoutMs,
      this.indexStreams
        ? { on: 'stream', regex: `^(${[...this.indexStreams].map(escapeRegex).join('|')})$` }
        : undefined,
    );
    // Until it is live, readByIds reads $all itself: worth a moment's wait, not a failed open.
    await this.indexSubscription.whenLive(this.timeoutMs);
  }

  /** Refuses, in one line, a server older than the features the adapter relies on. */
  private async checkServerVersion(): Promise<void> {
    const capabilities = () =>
      (this.client as unknown as { capabilities: Promise<{ serverVersion: string }> }).capabilities;
    const features = await readFault(() =>
      within(capabilities(), this.timeoutMs, () => new CallTimeout(this.timeoutMs)),
    );
    this.serverVersion = features.serverVersion;
    const problem = serverVersionProblem(features.serverVersion);
    if (problem) throw new StartupError(problem);
  }

  private get streamsKey(): SavedIdIndex['streams'] {
    return this.indexStreams ? [...this.indexStreams].sort() : 'all';
  }

  private async takeUpSavedIndex(file: string): Promise<void> {
    const saved = await loadCheckpoint<SavedIdIndex>(file, ID_INDEX_CHECKPOINT, this);
    if (!saved || JSON.stringify(saved.state.streams) !== JSON.stringify(this.streamsKey)) return;
    this.index = new IdIndex(saved.state.index);
    for (const [stream, revision] of saved.state.revisions) this.revisions.set(stream, revision);
    this.indexedUpTo = this.lastEventSeen = saved.position;
  }

  saveIdIndex(file: string): Promise<number> {
    // Copied with the position in one synchronous step: the state covers at least what it claims.
    const exported = this.index.export();
    const state: SavedIdIndex = {
      index: { hashes: exported.hashes.slice(), positions: exported.positions.slice(), size: exported.size },
      revisions: [...this.revisions],
      streams: this.streamsKey,
    };
    return saveCheckpoint(file, ID_INDEX_CHECKPOINT, this.lastEventSeen, state, this);
  }

  private get indexLive(): boolean {
    return this.indexSubscription?.live ?? false;
  }

  private indexes(stream: string): boolean {
    return this.indexStreams ? this.indexStreams.has(stream) : !isSystem(stream);
  }

  append(stream: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    if (events.length === 0) return Promise.reject(new Error('an append needs at least one event'));
    const op = new AppendAttempt(this.timeoutMs);
    // One append at a time per adapter: the index check and the write must not interleave.
    const run = this.appendQueue.then(() => this.appendNow(stream, events, expected, op));
    // The caller's wait is bounded even when a call hangs past its deadline (BatchAppend has none on the client).
    const bounded = within(run, this.timeoutMs, () => op.abandon());
    // The next append waits for this one's answer, not for a hung call: a hung call ends at the next reconnect.
    // After a fault the next one reads $all before it writes: the index may have missed what the server did.
    this.appendQueue = bounded.then(
      () => undefined,
      (error: unknown) => {
        if (isStoreFault(error)) this.afterFault = true;
      },
    );
    return bounded;
  }

  private async appendNow(
    stream: string,
    events: EventToAppend[],
    expected: ExpectedRevision,
    op: AppendAttempt,
  ): Promise<AppendResult> {
    try {
      return await this.appendOnce(stream, events, expected, op);
    } catch (error) {
      throw op.fault(error) ?? error;
    }
  }

  /**
   * Whether the index already knows every id a replay of this append could repeat, so the append
   * can go without reading $all first. With an exact revision the server refuses the append if
   * anyone wrote after it, and the index has seen the stream up to it: nothing can slip through.
   * With `no-stream` likewise, once the index follows the server live. With `any` the server
   * guards nothing: the index is caught up first.
   */
  private indexCovers(stream: string, expected: ExpectedRevision): boolean {
    if (!this.indexLive || this.afterFault || expected === 'any') return false;
    if (expected === 'no-stream') return true;
    return (this.revisions.get(stream) ?? -1) >= expected;
  }

  private async appendOnce(
    stream: string,
    events: EventToAppend[],
    expected: ExpectedRevision,
    op: AppendAttempt,
  ): Promise<AppendResult> {
    if (!this.indexCovers(stream, expected)) await this.catchUpIndex(op.budget);
    const replay = await this.replayOf(stream, events, op.budget);
    if (replay) return replay;

    const appendId = randomUUID();
    // Registered before the write: the subscription may deliver the events before the append's answer.
    const own = new OwnEvents(stream, this.indexedUpTo);
    this.ownEventWaiters.add(own);
    try {
      let written: Awaited<ReturnType<EventStoreDBClient['appendToStream']>> | undefined;
      let actual: number | undefined | 'unknown';
      try {
        const toSend = events.map((e) => toEsdbEvent(e, appendId));
        // A write that never left (the channel was down) is safe to send again at once, on a new channel.
        written = await onceMoreIfUnconnected(() =>
          this.client.appendToStream(stream, toSend, {
            expectedRevision: toEsdbExpected(expected),
            deadline: op.send(),
          }),
        );
        // With throwOnAppendFailure=false in the connection string a refusal comes back as a result;
        // its revision is not to be trusted (BatchAppend reports 0 or 1), so it is read below.
        if (!written.success) {
          written = undefined;
          actual = 'unknown';
        }
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        actual = typeof error.actualVersion === 'bigint' ? Number(error.actualVersion) : undefined;
      }
      if (!written) {
        op.phase = 'refused';
        // Another writer moved the stream; it may have been a retry of this very batch.
        await this.catchUpIndex(op.budget);
        const replayAfterConflict = await this.replayOf(stream, events, op.budget);
        if (replayAfterConflict) return replayAfterConflict;
        if (actual === 'unknown') actual = await this.streamRevision(stream);
        throw new WrongExpectedRevisionError(stream, expected, actual);
      }
      op.phase = 'stored';
      this.afterFault = false;
      const lastRevision = Number(written.nextExpectedRevision);
      const lastPosition = written.position ? Number(written.position.commit) : undefined;
      const stored = await this.ownEvents(own, stream, lastRevision, events.length, lastPosition, op.budget);
      let replayed = true;
      stored.forEach(({ event, appendId: writtenBy }, i) => {
        const sent = events[i]!;
        if (event.id !== sent.id) throw new IdempotencyConflictError(sent.id);
        // Our own write holds what we sent. Another's (the server answered a retry with the
        // original): its idempotency compares ids only, the content check is ours.
        if (writtenBy === appendId) {
          replayed = false;
          return;
        }
        if (contentKey(event.stream, event) !== contentKey(stream, sent)) throw new IdempotencyConflictError(sent.id);
      });
      const recorded = stored.map((s) => s.event);
      for (const e of recorded) this.indexEvent(e);
      return {
        events: recorded,
        streamRevision: lastRevision,
        lastPosition: recorded.at(-1)!.globalPosition,
        replayed,
      };
    } finally {
      this.ownEventWaiters.delete(own);
    }
  }

  /**
   * The appended events with their positions: as the index subscription delivers them (no call
   * of our own), or read back when it does not in time, or when they are older than the append
   * (the server answered an identical retry with the original events).
   */
  private async ownEvents(
    own: OwnEvents,
    stream: string,
    lastRevision: number,
    count: number,
    lastPosition: number | undefined,
    budget: Budget,
  ): Promise<Delivered[]> {
    const first = lastRevision - count + 1;
    if (this.indexLive && this.indexes(stream) && lastPosition !== undefined && lastPosition > own.after) {
      const delivered = await own.waitFor(first, lastRevision, Math.min(this.ownEventsWaitMs, budget()));
      if (delivered) return delivered;
    }
    return this.readStreamRaw(stream, first - 1, count, budget);
  }

  /** The original result when every id is stored with the same content; throws when any id clashes. */
  private async replayOf(stream: string, events: EventToAppend[], budget: Budget): Promise<AppendResult | undefined> {
    // A miss in the index is certain: a batch of new ids costs no read.
    if (!events.some((e) => this.index.has(e.id))) return undefined;
    const stored = await this.readIndexed(
      events.map((e) => e.id),
      budget,
    );
    const byId = new Map(stored.map((e) => [e.id, e]));
    const known = events.filter((e) => byId.has(e.id));
    if (known.length === 0) return undefined;
    for (const e of known) {
      const original = byId.get(e.id)!;
      if (contentKey(original.stream, original) !== contentKey(stream, e)) {
        throw new IdempotencyConflictError(e.id);
      }
    }
    if (known.length < events.length) throw new IdempotencyConflictError(known[0]!.id);
    const originals = events.map((e) => byId.get(e.id)!);
    const last = originals.at(-1)!;
    return {
      events: originals,
      streamRevision: last.streamRevision,
      lastPosition: last.globalPosition,
      replayed: true,
    };
  }

  async readStream(stream: string, options: ReadOptions = {}): Promise<RecordedEvent[]> {
    if (options.limit === 0) return [];
    return readFault(async () =>
      (await this.readStreamRaw(stream, options.after, options.limit, this.perCall)).map((s) => s.event),
    );
  }

  /** Reads a stream forwards in pages, each page within the budget. */
  private async readStreamRaw(
    stream: string,
    after: number | undefined,
    limit: number | undefined,
    budget: Budget,
  ): Promise<{ event: RecordedEvent; appendId: string | undefined }[]> {
    const out: { event: RecordedEvent; appendId: string | undefined }[] = [];
    let next = after === undefined || after < 0 ? 0 : after + 1;
    let left = limit ?? Number.POSITIVE_INFINITY;
    try {
      while (left > 0) {
        const count = Math.min(left, this.pageSize);
        let inPage = 0;
        const read = () =>
          this.client.readStream(stream, { fromRevision: BigInt(next), maxCount: count, direction: FORWARDS });
        await drain(read, budget, (resolved) => {
          inPage++;
          // By revision, not by count: a truncated stream starts past the revision asked for.
          if (resolved.event) next = Number(resolved.event.revision) + 1;
          const converted = fromEsdb(resolved);
          if (converted) out.push(converted);
        });
        left -= inPage;
        if (inPage < count) break;
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return out;
  }

  async readAll(options: ReadOptions = {}): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    await readFault(() =>
      this.scanAll(
        options.after ?? 0,
        options.limit ?? Number.POSITIVE_INFINITY,
        NON_SYSTEM,
        (record) => {
          const converted = fromLean(record);
          if (!converted) return false;
          out.push(converted.event);
          return true;
        },
        this.perCall,
      ),
    );
    return out;
  }

  /**
   * One page of a long catch-up (see the port): the events after `after`, system records left
   * out, and with `indexStreams` only those streams' (the others hold nothing a ledger fold
   * reads), filtered by the server. Decoded lean: a StoredEvent straight from the wire bytes.
   */
  async readPageForFold(after: number, limit: number): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    await readFault(() =>
      this.scanAll(
        after,
        limit,
        this.foldFilter,
        (record) => {
          const event = storedFromLean(record);
          if (!event) return false;
          out.push(event);
          return true;
        },
        this.perCall,
        // One call for the page: the record at `after` comes first (reads from a position include it).
        limit + 1,
      ),
    );
    return out;
  }

  /** What the index reads, and a long catch-up: the indexed streams, or all but the server's own. */
  private get foldFilter(): LeanFilter {
    return this.indexStreams
      ? { on: 'stream', regex: `^(${[...this.indexStreams].map(escapeRegex).join('|')})$` }
      : NON_SYSTEM;
  }

  /**
   * Reads $all forwards after `after` (exclusive), in pages, each page within the budget, with a
   * filter the server applies; `onRecord` answers whether it took the record (counted in `limit`).
   * Returns the last position read.
   */
  private async scanAll(
    after: number,
    limit: number,
    filter: LeanFilter,
    onRecord: (record: LeanRecord) => boolean,
    budget: Budget,
    pageSize = this.pageSize,
  ): Promise<number> {
    let seen = after;
    let taken = 0;
    while (taken < limit) {
      const from = seen > 0 ? seen : 'start';
      let inPage = 0;
      // A small limit (the first event, for a checkpoint's check) reads a small page, not a large one.
      const count = Math.min(pageSize, limit - taken + 32);
      await drain(
        () => readAllLean(this.client, from, count, filter),
        budget,
        (record) => {
          inPage++;
          if (record.position <= seen) return; // Reads from a position include it.
          seen = record.position;
          if (taken < limit && onRecord(record)) taken++;
        },
      );
      if (inPage < count) break;
    }
    return seen;
  }

  /**
   * From the index, which the adapter's subscription keeps current: ids it does not hold are
   * answered without a call (a new event's group goes straight to its append); a hit is read to
   * confirm it. While the subscription is not live (an outage, a resubscription) $all is read
   * from where the index stands first, as a store without the subscription would.
   */
  async readByIds(ids: readonly string[]): Promise<RecordedEvent[]> {
    if (ids.length === 0) return [];
    return readFault(async () => {
      if (!this.indexLive) await this.catchUpIndex(this.perCall);
      return this.readIndexed(ids, this.perCall);
    });
  }

  /** The events with these ids the index knows, read by position; the first occurrence of an id wins. */
  private async readIndexed(ids: readonly string[], budget: Budget): Promise<RecordedEvent[]> {
    const wanted = new Set(ids);
    const positions = new Set<number>();
    for (const id of wanted) for (const position of this.index.candidates(id)) positions.add(position);
    if (positions.size === 0) return [];
    const found = await Promise.all([...positions].map((p) => this.readAt(p, budget)));
    const byId = new Map<string, RecordedEvent>();
    for (const event of found
      .filter((e): e is RecordedEvent => e !== undefined)
      .sort((a, b) => a.globalPosition - b.globalPosition)) {
      // A hash shared by another id is no hit; a later copy of an id (a cross-replica race) is not the original.
      if (wanted.has(event.id) && !byId.has(event.id)) byId.set(event.id, event);
    }
    return [...byId.values()];
  }

  private async readAt(position: number, budget: Budget): Promise<RecordedEvent | undefined> {
    const read = () =>
      this.client.readAll({ fromPosition: { commit: BigInt(position), prepare: BigInt(position) }, maxCount: 1 });
    // Read to the end, never break out: an abandoned call keeps the client's dispose() waiting.
    let found: RecordedEvent | undefined;
    await drain(read, budget, (resolved) => {
      if (positionOf(resolved) === position) found = fromEsdb(resolved)?.event;
    });
    return found;
  }

  async streamRevision(stream: string): Promise<number | undefined> {
    let revision: number | undefined;
    try {
      await readFault(() =>
        drain(
          () => this.client.readStream(stream, { fromRevision: END, direction: BACKWARDS, maxCount: 1 }),
          this.perCall,
          (resolved) => {
            if (resolved.event) revision = Number(resolved.event.revision);
          },
        ),
      );
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      throw error;
    }
    return revision;
  }

  headPosition(): Promise<number> {
    return readFault(async () => {
      // The last ledger event: system events at the end of $all are skipped.
      let from: Position | typeof END = END;
      for (;;) {
        let inPage = 0;
        let head: number | undefined;
        const page = () =>
          this.client.readAll({
            fromPosition: from,
            direction: BACKWARDS,
            maxCount: 100,
          }) as StreamingRead<AllStreamResolvedEvent>;
        await drain(page, this.perCall, (resolved) => {
          inPage++;
          if (head === undefined && fromEsdb(resolved)) head = positionOf(resolved);
          const event = resolved.event;
          if (event?.position) from = event.position;
        });
        if (head !== undefined) return head;
        if (inPage < 100) return 0;
      }
    });
  }

  /**
   * Never fails for a dropped or refused connection: it resubscribes until the server is back.
   * What it delivers is indexed first, so whatever a caller has folded the index knows too (the
   * writer's book never runs ahead of the ids it checks against).
   */
  subscribeToAll(after: number, handlers: SubscribeHandlers): Subscription {
    // A subscriber that wants only indexed streams rides the index subscription: each event is
    // decoded once, and the server pushes it once, however many follow it.
    const hub = this.indexSubscription;
    if (hub && !this.closed && handlers.streams?.length && handlers.streams.every((s) => this.indexes(s))) {
      const rider: IndexRider = new IndexRider(
        after,
        hub.position,
        new Set(handlers.streams),
        handlers,
        (from) => this.readAll({ after: from, limit: this.pageSize }),
        () => this.riders.delete(rider),
      );
      this.riders.add(rider);
      rider.start();
      return rider;
    }
    // Only a subscription that starts within what the index covers keeps it complete in order.
    const feedsIndex = after <= this.indexedUpTo;
    const subscription = new ResilientSubscription(
      this.client,
      after,
      this.backoff,
      {
        ...handlers,
        onEvent: (event, appendId) => {
          if (feedsIndex) this.indexEvent(event, appendId);
          return handlers.onEvent(event);
        },
      },
      () => this.subscriptions.delete(subscription),
      this.timeoutMs,
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** A ledger stream must keep every event forever: any retention setting on it is a problem. */
  async integrityProblems(streams: readonly string[]): Promise<string[]> {
    const violations = await readFault(() => this.checkRetentionPolicies(streams));
    return violations.map(
      (v) =>
        `stream ${v.stream} has a retention setting (${[
          v.maxAge === undefined ? '' : `$maxAge=${v.maxAge}`,
          v.maxCount === undefined ? '' : `$maxCount=${v.maxCount}`,
          v.truncateBefore === undefined ? '' : `$tb=${v.truncateBefore}`,
        ]
          .filter(Boolean)
          .join(', ')}): a ledger stream must keep every event`,
    );
  }

  async checkRetentionPolicies(streams: readonly string[]): Promise<RetentionViolation[]> {
    const violations: RetentionViolation[] = [];
    for (const stream of streams) {
      // The client's metadata read has no deadline of its own: the wait is bounded here.
      const { metadata } = await onceMoreIfUnconnected(() =>
        within(
          this.client.getStreamMetadata(stream, { deadline: this.timeoutMs }),
          this.timeoutMs,
          () => new CallTimeout(this.timeoutMs),
        ),
      );
      if (!metadata) continue;
      const { maxAge, maxCount, truncateBefore } = metadata;
      if (maxAge === undefined && maxCount === undefined && truncateBefore === undefined) continue;
      violations.push({
        stream,
        ...(maxAge !== undefined && { maxAge }),
        ...(maxCount !== undefined && { maxCount }),
        ...(truncateBefore !== undefined && { truncateBefore }),
      });
    }
    return violations;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([
      ...[...this.riders].map((r) => r.close()),
      this.indexSubscription?.close(),
      ...[...this.subscriptions].map((s) => s.close()),
    ]);
    await this.appendQueue;
    // Cancels whatever call still hangs on a server that stopped answering.
    await this.client.dispose().catch(() => undefined);
  }

  /**
   * Brings the id index up to the server's head by reading $all from where it stands, filtered
   * by the server to the indexed streams. Only the id is decoded, unless an append waits for its
   * own events (after a wrong expected revision): then they are read whole.
   */
  private async catchUpIndex(budget: Budget): Promise<void> {
    const seen = await this.scanAll(
      this.indexedUpTo,
      Number.POSITIVE_INFINITY,
      this.foldFilter,
      (record) => {
        if (this.ownEventWaiters.size > 0) {
          const converted = fromLean(record);
          if (converted) this.indexEvent(converted.event, converted.appendId);
        } else {
          const id = ledgerIdOf(record);
          if (id !== undefined) this.indexed(id, record.stream, record.revision, record.position);
        }
        return true;
      },
      budget,
    );
    this.indexedUpTo = Math.max(this.indexedUpTo, seen);
  }

  private indexEvent(event: RecordedEvent, appendId?: string): void {
    this.indexed(event.id, event.stream, event.streamRevision, event.globalPosition);
    if (this.indexes(event.stream)) for (const waiter of this.ownEventWaiters) waiter.offer({ event, appendId });
  }

  private indexed(id: string, stream: string, revision: number, position: number): void {
    if (this.indexes(stream)) {
      this.index.add(id, position);
      if ((this.revisions.get(stream) ?? -1) < revision) this.revisions.set(stream, revision);
    }
    if (position > this.indexedUpTo) this.indexedUpTo = position;
    if (position > this.lastEventSeen) this.lastEventSeen = position;
  }
}

type Delivered = { event: RecordedEvent; appendId: string | undefined };

/** One append's own events as the index subscription delivers them, by revision. */
class OwnEvents {
  private readonly byRevision = new Map<number, Delivered>();
  private wanted: { first: number; last: number; resolve: (events: Delivered[] | undefined) => void } | undefined;

  constructor(
    readonly stream: string,
    /** The index's position when the append was sent: events after it are the append's. */
    readonly after: number,
  ) {}

  offer(delivered: Delivered): void {
    if (delivered.event.stream !== this.stream || delivered.event.globalPosition <= this.after) return;
    this.byRevision.set(delivered.event.streamRevision, delivered);
    this.settle();
  }

  /** Resolves with the events of these revisions once all are delivered, or undefined after `ms`. */
  waitFor(first: number, last: number, ms: number): Promise<Delivered[] | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wanted = undefined;
        resolve(undefined);
      }, ms);
      this.wanted = {
        first,
        last,
        resolve: (events) => {
          clearTimeout(timer);
          resolve(events);
        },
      };
      this.settle();
    });
  }

  private settle(): void {
    const wanted = this.wanted;
    if (!wanted) return;
    const events: Delivered[] = [];
    for (let revision = wanted.first; revision <= wanted.last; revision++) {
      const delivered = this.byRevision.get(revision);
      if (!delivered) return;
      events.push(delivered);
    }
    this.wanted = undefined;
    wanted.resolve(events);
  }
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A catch-up-then-live $all subscription without system events that survives
 * dropped connections: it resubscribes with backoff from the last position it
 * delivered, and skips anything at or before that position, so no event is
 * lost or delivered twice.
 */
/** What the adapter's subscriptions deliver to: the event, and which append wrote it. */
interface DeliveryHandlers extends Omit<SubscribeHandlers, 'onEvent'> {
  onEvent(event: RecordedEvent, appendId: string | undefined): void | Promise<void>;
}

class ResilientSubscription implements Subscription {
  private lastDelivered: number;
  private closed = false;
  /** True while a subscription is confirmed and has delivered everything stored when it caught up. */
  live = false;
  private liveWaiters: (() => void)[] = [];
  private current: LeanSubscription | undefined;
  private wake: (() => void) | undefined;
  private caughtUpSignalled = false;
  private readonly done: Promise<void>;
  private static readonly handlerContext = new AsyncLocalStorage<ResilientSubscription>();

  constructor(
    private readonly client: EventStoreDBClient,
    after: number,
    private readonly backoff: { initial: number; max: number },
    private readonly handlers: DeliveryHandlers,
    private readonly onClosed?: () => void,
    /** A subscription the server has not confirmed by then is given up and made again. */
    private readonly confirmWithinMs = DEFAULT_TIMEOUT_MS,
    /** A server-side filter; default: everything but system events. */
    private readonly filter: LeanFilter = NON_SYSTEM,
  ) {
    this.lastDelivered = after;
    // run() handles every error of the server itself; this catches only a handler's own throw in onError.
    this.done = this.run().catch(() => undefined);
  }

  /** The position of the last event delivered (or skipped as a system record). */
  get position(): number {
    return this.lastDelivered;
  }

  /** Resolves once the subscription is live, or after `ms` whether it is or not. */
  whenLive(ms: number): Promise<void> {
    if (this.live) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.liveWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.stopCurrent();
      this.wake?.();
    }
    // Called from inside our own onEvent: waiting for that handler would deadlock.
    if (ResilientSubscription.handlerContext.getStore() === this) return;
    await this.done;
  }

  private stopCurrent(): void {
    const current = this.current;
    this.current = undefined;
    if (!current) return;
    void current.unsubscribe().catch(() => undefined);
    current.destroy();
  }

  private async run(): Promise<void> {
    let delay = this.backoff.initial;
    while (!this.closed) {
      let subscription: LeanSubscription | undefined;
      try {
        subscription = new LeanSubscription(
          this.client,
          this.lastDelivered > 0 ? this.lastDelivered : 'start',
          this.filter,
        );
        this.current = subscription;
        const delivered = await this.consume(subscription);
        if (delivered) delay = this.backoff.initial;
      } catch (error) {
        if (error instanceof HandlerFailure) {
          this.closed = true;
          this.handlers.onError?.(error.cause);
          break;
        }
        // A dropped or refused connection, or a server-side end: resubscribe below, for as long as it takes.
      } finally {
        if (subscription && this.current === subscription) this.stopCurrent();
      }
      if (this.closed) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay * (0.75 + Math.random() / 2));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      delay = Math.min(delay * 2, this.backoff.max);
    }
    this.onClosed?.();
  }

  /** Delivers until the subscription ends or fails; true when anything arrived. */
  private async consume(subscription: LeanSubscription): Promise<boolean> {
    let taken = 0;
    let inHandler = false;
    let caughtUpAfter: number | undefined;
    const signalCaughtUp = () => {
      if (this.live || this.closed || inHandler) return;
      if (caughtUpAfter === undefined || taken < caughtUpAfter) return;
      this.live = true;
      for (const wake of this.liveWaiters.splice(0)) wake();
      if (this.caughtUpSignalled) return;
      this.caughtUpSignalled = true;
      this.handlers.onCaughtUp?.(this.lastDelivered);
    };
    // The client emits caughtUp while earlier events may still wait in its buffer:
    // the signal is due once those have been delivered too.
    subscription.on('caughtUp', () => {
      caughtUpAfter = taken + subscription.readableLength;
      try {
        signalCaughtUp();
      } catch (error) {
        // A throw here would land in the client's stream: end the subscription as a handler failure instead.
        subscription.destroy(new HandlerFailure(error instanceof Error ? error : new Error(String(error))));
      }
    });
    // A hung server accepts the call and never confirms it: without this, delivery would wait for ever.
    const unconfirmed = setTimeout(
      () => subscription.destroy(new CallTimeout(this.confirmWithinMs)),
      this.confirmWithinMs,
    );
    subscription.once('confirmation', () => clearTimeout(unconfirmed));
    let arrived = false;
    try {
      for await (const record of subscription as AsyncIterable<LeanRecord>) {
        if (this.closed) break;
        taken++;
        arrived = true;
        const position = record.position;
        if (position > this.lastDelivered) {
          const converted = fromLean(record);
          if (converted) {
            inHandler = true;
            try {
              // Await only a handler that is asynchronous: a microtask per event adds up on a long catch-up.
              const pending = ResilientSubscription.handlerContext.run(this, () =>
                this.handlers.onEvent(converted.event, converted.appendId),
              );
              if (pending !== undefined) await pending;
            } catch (error) {
              throw new HandlerFailure(error instanceof Error ? error : new Error(String(error)));
            } finally {
              inHandler = false;
            }
          }
          this.lastDelivered = position;
        }
        if (this.closed) break;
        signalCaughtUp();
      }
    } finally {
      clearTimeout(unconfirmed);
      this.live = false;
    }
    return arrived;
  }
}

/**
 * A subscription served from the adapter's index subscription. It joins at the hub's position:
 * what came before (from its own position up to there) it reads from the store in pages, what the
 * hub delivers meanwhile it queues; it then delivers in order, once each, only the streams it
 * wants, awaiting each handler as a subscription of its own would. A handler that throws ends it
 * with onError (as a handler failure ends any subscription); a read that fails ends it with that
 * store fault, and followStore subscribes again from its last position. The hub's own reconnects
 * are invisible to riders: it skips what it delivered before, so they see neither gap nor repeat.
 */
class IndexRider implements Subscription {
  private delivered: number;
  private readonly queue: RecordedEvent[] = [];
  private closed = false;
  private pumping: Promise<void> | undefined;
  private caughtUp = false;

  constructor(
    after: number,
    /** The hub's position when this rider joined: the gap up to it is read, what follows is offered. */
    private readonly joinedAt: number,
    private readonly streams: ReadonlySet<string>,
    private readonly handlers: SubscribeHandlers,
    private readonly readPage: (after: number) => Promise<RecordedEvent[]>,
    private readonly detach: () => void,
  ) {
    this.delivered = after;
  }

  start(): void {
    this.pump(() => this.catchUpThenLive());
  }

  /** The hub delivered an event (in order, after every event up to joinedAt). */
  offer(event: RecordedEvent): void {
    if (this.closed || event.globalPosition <= this.joinedAt) return;
    this.queue.push(event);
    if (this.caughtUp && !this.pumping) this.pump(() => this.drainQueue());
  }

  /** Runs one delivery loop at a time; a failure ends the rider. */
  private pump(work: () => Promise<void>): void {
    this.pumping = (async () => {
      try {
        await work();
      } catch (error) {
        this.fail(error);
      } finally {
        this.pumping = undefined;
      }
      // Offered while the last handler ran, after the loop looked.
      if (this.caughtUp && this.queue.length > 0 && !this.closed) this.pump(() => this.drainQueue());
    })();
  }

  private async catchUpThenLive(): Promise<void> {
    // The gap: what the hub had delivered before this rider joined.
    while (!this.closed && this.delivered < this.joinedAt) {
      const page = await this.readPage(this.delivered);
      if (page.length === 0) break;
      for (const event of page) {
        if (this.closed || event.globalPosition > this.joinedAt) break;
        await this.deliver(event);
      }
      if (page[page.length - 1]!.globalPosition >= this.joinedAt) break;
    }
    if (this.delivered < this.joinedAt) this.delivered = this.joinedAt;
    await this.drainQueue();
    if (this.closed) return;
    this.caughtUp = true;
    this.handlers.onCaughtUp?.(this.delivered);
  }

  private async drainQueue(): Promise<void> {
    while (!this.closed && this.queue.length > 0) await this.deliver(this.queue.shift()!);
  }

  private async deliver(event: RecordedEvent): Promise<void> {
    if (event.globalPosition <= this.delivered) return;
    if (this.streams.has(event.stream)) await this.handlers.onEvent(event);
    this.delivered = event.globalPosition;
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.detach();
    this.handlers.onError?.(error instanceof Error ? error : new Error(String(error)));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    this.detach();
    await this.pumping;
  }
}

class HandlerFailure extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

// ---- Deadlines and faults

/** How many milliseconds the next call to the server may take. */
type Budget = () => number;

/** A call to the server that was not answered within its deadline. */
class CallTimeout extends Error {
  override readonly name = 'CallTimeout';
  constructor(ms: number) {
    super(`the event store did not answer within ${ms} ms`);
  }
}

/**
 * Reads a call to its end within the budget. On the deadline the read is
 * cancelled (reads have no deadline in the client), so the call does not
 * linger. A read that failed to connect before it received anything is made
 * once more: after an outage the first call often meets the client's old,
 * failed channel, which the client then drops, and the second connects afresh.
 */
/** A read call as drain needs it: the client's own reads and the lean ones. */
type CancellableRead<E> = (AsyncIterable<E> | { each(onItem: (item: E) => void): Promise<void> }) & {
  destroy(error?: Error): unknown;
  cancel(): Promise<void>;
};

async function drain<E>(open: () => CancellableRead<E>, budget: Budget, onItem: (item: E) => void): Promise<void> {
  let received = 0;
  try {
    await drainOnce(open(), budget(), (item) => {
      received++;
      onItem(item);
    });
  } catch (error) {
    if (received > 0 || !neverConnected(error)) throw error;
    await channelReset();
    await drainOnce(open(), budget(), onItem);
  }
}

/** A call that never reached the server is made once more, at once, on the client's new channel. */
async function onceMoreIfUnconnected<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!neverConnected(error)) throw error;
    await channelReset();
    return call();
  }
}

/** Lets the client drop its failed channel (it does so asynchronously) before a call is made again. */
const channelReset = () => new Promise((resolve) => setTimeout(resolve, 10));

async function drainOnce<E>(read: CancellableRead<E>, ms: number, onItem: (item: E) => void): Promise<void> {
  const timer = setTimeout(() => {
    read.destroy(new CallTimeout(ms));
    read.cancel().catch(() => undefined);
  }, ms);
  try {
    if ('each' in read) await read.each(onItem);
    else for await (const item of read) onItem(item);
  } finally {
    clearTimeout(timer);
  }
}

/** True when the error says the server was not reached or did not answer, not what it decided. */
function isTransportError(error: unknown): boolean {
  if (
    error instanceof CallTimeout ||
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof CancelledError ||
    error instanceof TimeoutError ||
    // The client reconnects to the leader it names: the retry goes there.
    error instanceof NotLeaderError
  )
    return true;
  const code = (error as { code?: unknown } | null)?.code;
  // Raw gRPC statuses: CANCELLED, DEADLINE_EXCEEDED, ABORTED, UNAVAILABLE.
  if (typeof code === 'number') return [1, 4, 10, 14].includes(code);
  if (typeof code === 'string') return /^(ECONN|EPIPE|ETIMEDOUT|EHOST|ENET|ENOTFOUND|EAI_AGAIN)/.test(code);
  // grpc-js reports a reset stream or a closed connection as INTERNAL, which the client calls unknown.
  if (error instanceof UnknownError) return /RST_STREAM|GOAWAY|connection|socket|closed/i.test(error.message);
  // Discovery of a cluster gives a plain error when no node answers.
  return error instanceof Error && /discover/i.test(error.message);
}

/** grpc-js's words for a call that never left: no connection was ever made for it. */
const neverConnected = (error: unknown) =>
  error instanceof UnavailableError &&
  /No connection established|ECONNREFUSED|Channel closed before call started/i.test(error.message);

const unavailable = (cause: unknown) =>
  new StoreFault(
    'store-unavailable',
    'The event store is unavailable or did not answer in time; nothing was written.',
    {
      cause,
    },
  );

/** A read's error as the caller should see it: a StoreFault when the server was not there. */
async function readFault<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw isStoreFault(error) || !isTransportError(error) ? error : unavailable(error);
  }
}

/**
 * One append's deadline and how far it got, which decides what a failure
 * means: before the write was sent nothing was stored; once it was sent, a
 * lost answer leaves the outcome unknown.
 */
class AppendAttempt {
  phase: 'preparing' | 'sent' | 'refused' | 'stored' = 'preparing';
  private readonly deadline: number;
  /** Set when the caller has been answered by the timeout: nothing more may be sent. */
  private abandoned = false;

  constructor(private readonly ms: number) {
    this.deadline = Date.now() + ms;
  }

  /** The time left for the next call; throws when none is. */
  readonly budget: Budget = () => {
    const left = this.deadline - Date.now();
    if (left <= 0 || this.abandoned) throw new CallTimeout(this.ms);
    return left;
  };

  /** Marks the write as sent, and gives its deadline. */
  send(): number {
    const left = this.budget();
    this.phase = 'sent';
    return left;
  }

  /** The caller's bound ran out: what it is told, and nothing is sent after it. */
  abandon(): StoreFault {
    this.abandoned = true;
    return this.fault(new CallTimeout(this.ms))!;
  }

  /** The StoreFault an error of this attempt means, or undefined when it is the ledger's own answer. */
  fault(error: unknown): StoreFault | undefined {
    if (isStoreFault(error)) return error;
    if (!isTransportError(error)) return undefined;
    if (this.phase === 'sent' && !neverConnected(error)) {
      return new StoreFault(
        'append-outcome-unknown',
        'The append reached the event store but its answer was lost: it may or may not be stored. ' +
          'Retry with the same event ids: if it was stored, the retry is answered as a replay with the original positions.',
        { cause: error },
      );
    }
    if (this.phase === 'stored') {
      return new StoreFault(
        'append-outcome-unknown',
        'The append was stored but could not be read back. ' +
          'Retry with the same event ids: the retry is answered as a replay with the original positions.',
        { cause: error },
      );
    }
    return unavailable(error);
  }
}

// ---- Mapping between the port and EventStoreDB

function toEsdbExpected(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'any') return ANY;
  if (expected === 'no-stream') return NO_STREAM;
  return BigInt(expected);
}

function toEsdbEvent(event: EventToAppend, appendId: string) {
  const esdbId = LOWER_UUID.test(event.id) ? event.id : uuidV5(event.id, ID_NAMESPACE);
  const metadata: StoredMetadata = {
    ...event.metadata,
    occurredAt: event.occurredAt,
    recordedBy: event.recordedBy,
    schemaVersion: event.schemaVersion,
    appendId,
    ...(esdbId !== event.id && { eventId: event.id }),
  };
  return jsonEvent({
    id: esdbId,
    type: event.type,
    data: event.data as Parameters<typeof jsonEvent>[0]['data'],
    // As bytes: given an object, the client turns its JSON into base64 and protobuf turns that back
    // into bytes, for every event (a tenth of an append's client CPU). The server stores the same bytes.
    metadata: UTF8.encode(JSON.stringify(metadata)) as unknown as Parameters<typeof jsonEvent>[0]['metadata'],
  });
}

const UTF8 = new TextEncoder();

const isSystem = (name: string) => name.startsWith('$');

function positionOf(resolved: ResolvedEvent | AllStreamResolvedEvent): number | undefined {
  const commit = resolved.event?.position?.commit ?? resolved.commitPosition;
  return commit === undefined ? undefined : Number(commit);
}

/** The record's own fields a ledger event is made of, whichever decoder read them. */
interface RecordFields {
  id: string;
  type: string;
  stream: string;
  revision: number;
  position: number;
  recordedAt: string;
  data: unknown;
}

/** A ledger event from a record's fields and the metadata stored with it (the envelope's fields ride there). */
function ledgerEvent(
  r: RecordFields,
  stored: Partial<StoredMetadata>,
): { event: RecordedEvent; appendId: string | undefined } {
  const { occurredAt, recordedBy, schemaVersion, appendId, eventId, ...metadata } = stored;
  return {
    event: {
      id: eventId ?? r.id,
      type: r.type,
      stream: r.stream,
      streamRevision: r.revision,
      globalPosition: r.position,
      occurredAt: occurredAt ?? r.recordedAt,
      recordedAt: r.recordedAt,
      recordedBy: recordedBy ?? '',
      schemaVersion: schemaVersion ?? 1,
      data: r.data,
      metadata: metadata as EventMetadata,
    },
    appendId,
  };
}

/** A ledger event from an EventStoreDB record; undefined for system events and foreign records. */
function fromEsdb(resolved: ResolvedEvent): { event: RecordedEvent; appendId: string | undefined } | undefined {
  const e = resolved.event;
  if (!e || !e.isJson || isSystem(e.type) || isSystem(e.streamId)) return undefined;
  return ledgerEvent(
    {
      id: e.id,
      type: e.type,
      stream: e.streamId,
      revision: Number(e.revision),
      position: positionOf(resolved) ?? 0,
      recordedAt: e.created.toISOString(),
      data: e.data,
    },
    (e.metadata ?? {}) as Partial<StoredMetadata>,
  );
}

/** Everything but the server's own records, as the client's excludeSystemEvents() asks for it. */
const NON_SYSTEM: LeanFilter = { on: 'eventType', regex: '^[^$].*' };

/** JSON as the client parses it: malformed JSON stays the text it was. */
function parseJson(bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The metadata a ledger event carries; empty or malformed: none. */
function parseMetadata(bytes: Buffer): Partial<StoredMetadata> {
  if (bytes.length === 0) return {};
  const parsed = parseJson(bytes);
  return parsed !== null && typeof parsed === 'object' ? (parsed as Partial<StoredMetadata>) : {};
}

const isLedgerRecord = (r: LeanRecord) => r.isJson && !isSystem(r.type) && !isSystem(r.stream);

/** A ledger event from a lean record, as fromEsdb makes it from the client's; undefined for system and foreign records. */
function fromLean(r: LeanRecord): { event: RecordedEvent; appendId: string | undefined } | undefined {
  if (!isLedgerRecord(r)) return undefined;
  return ledgerEvent(
    {
      id: r.id,
      type: r.type,
      stream: r.stream,
      revision: r.revision,
      position: r.position,
      recordedAt: createdIso(r),
      data: parseJson(r.data),
    },
    parseMetadata(r.metadata),
  );
}

/** What a fold reads of a lean record (see StoredEvent): no id, recorder or other metadata. */
function storedFromLean(r: LeanRecord): StoredEvent | undefined {
  if (!isLedgerRecord(r)) return undefined;
  const { occurredAt, schemaVersion } = parseMetadata(r.metadata);
  const recordedAt = createdIso(r);
  return {
    type: r.type,
    stream: r.stream,
    streamRevision: r.revision,
    globalPosition: r.position,
    occurredAt: occurredAt ?? recordedAt,
    recordedAt,
    schemaVersion: schemaVersion ?? 1,
    data: parseJson(r.data),
  };
}

/** The port's id of a ledger record: its own, or the one kept in the metadata when it was no UUID. */
function ledgerIdOf(r: LeanRecord): string | undefined {
  if (!isLedgerRecord(r)) return undefined;
  // Most ids are UUIDs and carry no eventId: the metadata is parsed only when it names one.
  if (!r.metadata.includes('"eventId"')) return r.id;
  return parseMetadata(r.metadata).eventId ?? r.id;
}
