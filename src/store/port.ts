/**
 * The event store port: the one interface every engine implements. The
 * embedded SQLite store and the EventStoreDB adapter sit beside it; nothing
 * else in the code knows which one runs. The contract suite in
 * test/store/contract.ts is the definition of "a store" for this project.
 */
import type { EventMetadata, RecordedEvent, StoredEvent } from '../../events/index.js';
import type { Envelope } from '../log/leaf.js';

/** `any`: append whatever the stream holds; `no-stream`: the stream must not exist; a number: its last revision must be exactly that. */
export type ExpectedRevision = 'any' | 'no-stream' | number;

/** An event ready to append. The store sets position, revision and recordedAt. */
export interface EventToAppend {
  id: string;
  type: string;
  schemaVersion: number;
  occurredAt: string;
  recordedBy: string;
  data: unknown;
  metadata: EventMetadata;
}

export interface AppendResult {
  /** The events as stored (for a replay: as originally stored). */
  events: RecordedEvent[];
  /** The stream's revision after the append (the last event's revision). */
  streamRevision: number;
  /** The global position of the last event appended. */
  lastPosition: number;
  /** True when every id was already stored with the same content: nothing new was written. */
  replayed: boolean;
}

export interface ReadOptions {
  /** Exclusive: read events after this global position (or revision, for a stream). Default: from the start. */
  after?: number;
  /** At most this many events. */
  limit?: number;
}

/** For `readForFold`: the share of the log a thread folds. */
export interface FoldReadFilter {
  /** Only events of these types. */
  only?: readonly string[];
  /** All but the events of these types, unless their stored data contains the text `unlessContains`. */
  except?: { types: readonly string[]; unlessContains: string };
}

/** For `readForFoldMarked`: the rule of FoldReadFilter's `except`, as a mark instead of a filter. */
export type FoldMark = NonNullable<FoldReadFilter['except']>;

/** A page of every event, and for each whether its mark's rule holds (same index). */
export interface MarkedFoldPage {
  events: StoredEvent[];
  marked: boolean[];
}

export interface Subscription {
  /** Stops delivery; resolves when no handler call is in flight. */
  close(): Promise<void>;
}

export interface SubscribeHandlers {
  /** Called for every event in global order, once. Delivery waits for the returned promise. */
  onEvent(event: RecordedEvent): void | Promise<void>;
  /** Called once, when the subscription has delivered everything stored when it caught up. */
  onCaughtUp?(position: number): void;
  onError?(error: Error): void;
  /**
   * The only streams the handler wants: a store may leave the others out (EventStoreDB's adapter
   * then serves it from a subscription it already has). A hint: the handler still checks.
   */
  readonly streams?: readonly string[];
}

/** Export lines in global order, and the position of each event (whose line is undefined where it was not kept). */
export interface ExportLinesPage {
  positions: number[];
  lines: (string | undefined)[];
}

export interface EventStore {
  /** Which engine runs, for /ready and logs. */
  readonly engine: string;

  /**
   * Appends events to one stream atomically: all or none. Idempotent by event
   * id: a batch whose ids are all stored with the same content is answered
   * with the original result and `replayed: true`.
   * @throws WrongExpectedRevisionError, IdempotencyConflictError
   */
  append(stream: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult>;

  /** Events of one stream in revision order. */
  readStream(stream: string, options?: ReadOptions): Promise<RecordedEvent[]>;

  /** Every event in global order. */
  readAll(options?: ReadOptions): Promise<RecordedEvent[]>;

  /**
   * Optional, for a long catch-up (a rebuild, a first start): up to `limit` events after position
   * `after`, in global order, with only what folds read (no id, metadata or recorder), read at once
   * from an in-process store. Parsing less is most of what makes a rebuild fast. A store without
   * it is caught up through `subscribeToAll` alone. See FoldReadFilter for reading less still.
   */
  readForFold?(after: number, limit: number, filter?: FoldReadFilter): StoredEvent[];

  /**
   * Optional, with `readForFold`: every event of a `readForFold` page, each marked with whether
   * `mark` (an `except` filter) would have it read. One read then serves a fold of every event (the
   * writer's book) and one of the marked (the projections' share) at a first start.
   */
  readForFoldMarked?(after: number, limit: number, mark: FoldMark): MarkedFoldPage;

  /**
   * Optional, for a long catch-up from a store over the network (EventStoreDB): one page of up to
   * `limit` events after `after`, in global order, read in one call. The catch-up reads the next
   * page while it folds this one, then the subscription takes over from the last position.
   */
  readPageForFold?(after: number, limit: number): Promise<StoredEvent[]>;

  /**
   * Optional: the export lines (`exportLine`, src/log/leaf.ts) of up to `limit` events after
   * `after`, in global order, each beside its position, for a store that makes them from its rows
   * without parsing them (the embedded store, whose rows hold their JSON in RFC 8785 form). The
   * same bytes as `exportLine` of each event `readAll` gives; a store without it is read so.
   * `keep`: only the events whose envelope it keeps have a line (a filtered export's, when its
   * filter reads the envelope alone); the others keep their position and have none.
   */
  readExportLines?(after: number, limit: number, keep?: (envelope: Envelope) => boolean): Promise<ExportLinesPage>;

  /**
   * Optional: the file of an embedded store, which another thread may open for reading (see
   * openSqliteStore's `readonly`): a long catch-up then shares the fold between two threads.
   */
  readonly file?: string;

  /** Stored events with these ids (any that are not stored are absent from the result). */
  readByIds(ids: readonly string[]): Promise<RecordedEvent[]>;

  /** The stream's last revision, or undefined when it does not exist. */
  streamRevision(stream: string): Promise<number | undefined>;

  /** The last global position, 0 for an empty store. */
  headPosition(): Promise<number>;

  /** Catch-up then live: every event after `after` (exclusive), then each new one as it is appended. */
  subscribeToAll(after: number, handlers: SubscribeHandlers): Subscription;

  /**
   * Problems that make the store unfit for a ledger, for /ready: for example a
   * retention setting ($maxAge, $maxCount, truncate-before) on a ledger stream.
   * Empty when all is well.
   */
  integrityProblems(streams: readonly string[]): Promise<string[]>;

  /**
   * Optional, for a store that keeps an index of event ids in memory (EventStoreDB): saves it with
   * the position it covers, beside the checkpoints, so the next open reads only what came after.
   */
  saveIdIndex?(file: string): Promise<number>;

  close(): Promise<void>;
}

export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  readonly code = 'expected-revision-mismatch';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | undefined,
  ) {
    super(
      `stream ${stream}: expected revision ${String(expected)}, actual ${actual === undefined ? 'no stream' : actual}`,
    );
  }
}

export class IdempotencyConflictError extends Error {
  override readonly name = 'IdempotencyConflictError';
  readonly code = 'idempotency-conflict';
  constructor(
    readonly eventId: string,
    reason = 'was already recorded with different content',
  ) {
    super(`event ${eventId} ${reason}`);
  }
}

/**
 * What counts as "the same content" for idempotency: everything the client
 * chose. Server-set fields (position, recordedAt, recordedBy) are left out so
 * a retry by another replica or after a restart still matches.
 */
export function contentKey(
  stream: string,
  event: Pick<EventToAppend, 'type' | 'schemaVersion' | 'occurredAt' | 'data' | 'metadata'>,
): string {
  return canonicalJson([stream, event.type, event.schemaVersion, event.occurredAt, event.data, event.metadata]);
}

/** JSON with object keys sorted, so equal values give equal strings whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      out += item === undefined ? 'null' : canonicalJson(item);
    }
    return out + ']';
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJson(item)}`;
    first = false;
  }
  return out + '}';
}
