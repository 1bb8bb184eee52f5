/**
 * The in-memory transaction log behind the EventStoreDB protocol double: what
 * the server stores and decides, with no gRPC in it. See FIDELITY.md for which
 * server behaviour each rule reproduces and where it lives in EventStoreDB.
 */
import { randomUUID } from 'node:crypto';

export interface LogRecord {
  /** Commit position = prepare position: gRPC appends are implicit transactions, one record per event. */
  position: number;
  stream: string;
  revision: number;
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
  /** .NET ticks (100 ns) since the Unix epoch, as the server sends `created`. */
  created: bigint;
}

export interface ProposedEvent {
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
}

/** -1: no stream, -2: any, -4: stream exists; 0 and up: an exact revision (the server's ExpectedVersion encoding). */
export type ExpectedVersion = number;
export const EXPECTED_ANY = -2;
export const EXPECTED_NO_STREAM = -1;
export const EXPECTED_STREAM_EXISTS = -4;

export type WriteOutcome =
  | { kind: 'written' | 'idempotent'; firstRevision: number; lastRevision: number; lastPosition: number }
  | { kind: 'wrong-expected-version'; currentRevision: number | undefined };

export class TransactionLog {
  readonly records: LogRecord[] = [];
  private readonly streams = new Map<string, LogRecord[]>();
  /** Bounded, like the server's committed-events cache: only recent ids are recognised for `any`. */
  private readonly recentIds = new Map<string, LogRecord>();
  private readonly listeners = new Set<(record: LogRecord) => void>();
  private nextPosition = 0;
  private lastTicks = 0n;

  constructor(private readonly idCacheSize = 1000) {}

  stream(name: string): readonly LogRecord[] | undefined {
    return this.streams.get(name);
  }

  onAppended(listener: (record: LogRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes a system record as the server does on its own (stats, settings, scavenge bookkeeping). */
  writeSystemEvent(stream = '$settings', type = '$settings'): LogRecord {
    const data = Buffer.from(JSON.stringify({ at: new Date().toISOString(), nonce: randomUUID() }));
    const outcome = this.write(stream, EXPECTED_ANY, [
      { id: randomUUID(), type, contentType: 'application/json', data, metadata: new Uint8Array() },
    ]);
    if (outcome.kind !== 'written') throw new Error('system write failed');
    return this.records.at(-1)!;
  }

  /**
   * One write: all events or none, checked against the expected version, with
   * the server's idempotency rules (IndexWriter.CheckCommit): an exact or
   * no-stream expectation compares the ids already stored after it; `any`
   * recognises only ids still in the bounded cache.
   */
  write(stream: string, expected: ExpectedVersion, events: ProposedEvent[]): WriteOutcome {
    const existing = this.streams.get(stream);
    const current = existing ? existing.length - 1 : -1;

    const idempotent = this.idempotentCheck(existing, expected, events);
    if (idempotent === 'corrupted') return { kind: 'wrong-expected-version', currentRevision: orUndefined(current) };
    if (idempotent) return idempotent;

    const matches =
      expected === EXPECTED_ANY ||
      (expected === EXPECTED_STREAM_EXISTS && current >= 0) ||
      (expected >= EXPECTED_NO_STREAM && expected === current);
    if (!matches) return { kind: 'wrong-expected-version', currentRevision: orUndefined(current) };
    if (events.length === 0) {
      return { kind: 'written', firstRevision: current, lastRevision: current, lastPosition: -1 };
    }

    const records = existing ?? [];
    this.streams.set(stream, records);
    const appended: LogRecord[] = [];
    for (const event of events) {
      const record: LogRecord = {
        ...event,
        stream,
        revision: records.length,
        position: this.nextPosition,
        created: this.ticks(),
      };
      // Like a prepare record's size on disk: positions grow by bytes, not by one.
      this.nextPosition += 96 + stream.length + event.type.length + event.data.length + event.metadata.length;
      records.push(record);
      this.records.push(record);
      this.remember(record);
      appended.push(record);
    }
    for (const record of appended) for (const listener of this.listeners) listener(record);
    return {
      kind: 'written',
      firstRevision: appended[0]!.revision,
      lastRevision: appended.at(-1)!.revision,
      lastPosition: appended.at(-1)!.position,
    };
  }

  private idempotentCheck(
    existing: LogRecord[] | undefined,
    expected: ExpectedVersion,
    events: ProposedEvent[],
  ): WriteOutcome | 'corrupted' | undefined {
    const first = events[0];
    if (!first) return undefined;
    let candidates: (LogRecord | undefined)[];
    if (expected === EXPECTED_ANY) {
      const cached = this.recentIds.get(first.id);
      if (!cached || !existing || existing[cached.revision] !== cached) return undefined;
      candidates = events.map((_, i) => existing[cached.revision + i]);
    } else if (expected >= EXPECTED_NO_STREAM && existing && expected < existing.length - 1) {
      candidates = events.map((_, i) => existing[expected + 1 + i]);
    } else {
      return undefined;
    }
    const matched = candidates.filter((record, i) => record?.id === events[i]!.id).length;
    if (matched === 0) return undefined;
    if (matched < events.length) return 'corrupted';
    const last = candidates.at(-1)!;
    return {
      kind: 'idempotent',
      firstRevision: candidates[0]!.revision,
      lastRevision: last.revision,
      lastPosition: last.position,
    };
  }

  private remember(record: LogRecord): void {
    this.recentIds.delete(record.id);
    this.recentIds.set(record.id, record);
    if (this.recentIds.size > this.idCacheSize) {
      const oldest = this.recentIds.keys().next().value;
      if (oldest !== undefined) this.recentIds.delete(oldest);
    }
  }

  /** Strictly increasing `created` ticks, so two events never share a timestamp by accident of the clock. */
  private ticks(): bigint {
    const now = BigInt(Date.now()) * 10_000n;
    this.lastTicks = now > this.lastTicks ? now : this.lastTicks + 1n;
    return this.lastTicks;
  }
}

const orUndefined = (revision: number): number | undefined => (revision < 0 ? undefined : revision);
