/**
 * The verifiable log over the store: a Merkle tree of every event in global
 * order, a signed checkpoint for every write group before it is
 * acknowledged, the proofs, and the check of the store against what was
 * signed (at start and in `npm run verify -- --store`).
 */
import { existsSync } from 'node:fs';
import type { RecordedEvent } from '../../events/index.js';
import type { EventStore } from '../store/port.js';
import type { GroupSealer, RowsJson, SqliteEventStore } from '../store/sqlite.js';
import type { CheckpointStorage, IssuedCheckpoint, StoredCosignature } from './checkpoints.js';
import { leafHashBinaryOfEvent, leafHashBinaryOfLine, storedAppendOf } from './leaf.js';
import { LeafThread } from './leaf-thread.js';
import { LeafPositions } from './leaf-positions.js';
import { consistencyProof, inclusionProof, MerkleTree } from './merkle.js';
import { leavesFileFor, saveTree, storeFileStamp, type SavedTree } from './tree-file.js';
import {
  READ_PAGE,
  compareWithStore,
  compareWithStoreOffThread,
  recomputeTree,
  recomputeTreeOffThread,
  type RecomputedTree,
  type TreeThreadOptions,
} from './tree-of-store.js';
import {
  openCheckpoint,
  parseNote,
  parseVerifierKey,
  signCheckpoint,
  verifyCosignature,
  type Signer,
  type Verifier,
} from './note.js';

/** What the store holds compared with what was signed. */
export type LogStatus =
  | { state: 'verified'; treeSize: number }
  | { state: 'unsigned-tail'; treeSize: number; signedSize: number; positions: number[] }
  | {
      state: 'tampered';
      /** The first global position whose event differs from what was signed (or is missing). */
      position: number;
      id: string | undefined;
      leafIndex: number;
      reason: string;
    };

export interface LedgerLogOptions {
  signer: Signer;
  storage: CheckpointStorage;
  /** Witnesses whose cosignatures are accepted and served (type 0x04 verifier keys). */
  witnesses?: readonly Verifier[];
  clock?: () => Date;
  /** Where the tree is saved on close, beside an embedded store (see tree-file.ts). */
  treeFile?: string;
  /** The tree saved at the last clean stop, loaded before the store was opened (`loadTree`). */
  savedTree?: SavedTree | undefined;
  /**
   * Whether a second thread (leaf-thread.ts) hashes large batches. `auto` (the default) starts it
   * once appends have brought LEAF_THREAD_AFTER events; `always` at the first append (tests);
   * `never` does everything on the main thread.
   */
  leafThread?: 'auto' | 'always' | 'never';
  /**
   * Whether the tree is recomputed from the store on a second thread (tree-of-store.ts). `auto`
   * (the default) does so for an embedded store of TREE_THREAD_FROM events or more; `always` for any
   * embedded store (tests); `never` recomputes it on the main thread.
   */
  treeThread?: 'auto' | 'always' | 'never';
  /** Told why a tree thread was given up, before the tree is recomputed on the main thread. */
  onTreeThreadFallback?: (why: string) => void;
}

/** The fewest events in the store for its tree to be recomputed on a second thread: below, starting one costs more than it saves. */
export const TREE_THREAD_FROM = 100_000;

/** The fewest events an append must have for its leaves to be hashed on the leaf thread. */
export const LEAF_THREAD_MIN_BATCH = 256;
/** How many events appends must have brought before the leaf thread is started: a ledger under write load. */
const LEAF_THREAD_AFTER = 2000;

/** An append sent to the leaf thread: the ticket that takes its answer, and how many leaves it brings. */
interface SentAppend {
  ticket: number;
  count: number;
}

/** An event's leaf hash, from the export line the store put together for it when there is one. */
const leafHashOf = (event: RecordedEvent, line: string | undefined): string =>
  line === undefined ? leafHashBinaryOfEvent(event) : leafHashBinaryOfLine(line);

const sealable = (store: EventStore): store is EventStore & Pick<SqliteEventStore, 'sealGroupsWith'> =>
  typeof (store as Partial<SqliteEventStore>).sealGroupsWith === 'function';

/**
 * The store's tree, recomputed on a second thread for a large embedded store (see tree-of-store.ts),
 * else on this one.
 */
async function recomputeTreeOf(store: EventStore, options: LedgerLogOptions): Promise<RecomputedTree> {
  const file = await treeThreadFile(store, options);
  if (file === undefined) return recomputeTree(store);
  return recomputeTreeOffThread(store, file, treeThreadOptions(options));
}

/** The store's file, when the tree's work on it is to be done on a second thread (see `treeThread`). */
async function treeThreadFile(store: EventStore, options: LedgerLogOptions): Promise<string | undefined> {
  const mode = options.treeThread ?? 'auto';
  const file = store.file;
  if (mode === 'never' || file === undefined || file === ':memory:') return undefined;
  return mode === 'always' || (await store.headPosition()) >= TREE_THREAD_FROM ? file : undefined;
}

const treeThreadOptions = (options: LedgerLogOptions, stop?: () => boolean): TreeThreadOptions => ({
  ...(stop ? { stop } : {}),
  ...(options.onTreeThreadFallback ? { onFallback: options.onTreeThreadFallback } : {}),
});

export class TamperedLogError extends Error {
  override readonly name = 'TamperedLogError';
}

export class LedgerLog {
  status: LogStatus = { state: 'verified', treeSize: 0 };
  checkpoints: IssuedCheckpoint[] = [];
  private cosignatures = new Map<number, StoredCosignature[]>();
  private readonly clock: () => Date;
  /** How the tree was made at open: from the tree saved at the last stop, or every leaf from the store. */
  source: 'saved-tree' | 'store' = 'store';
  /** The saved tree's size at open: a stop with nothing added need not write it again. */
  private savedSize: number | undefined;
  private closing = false;
  private stopAsked!: () => void;
  /** Settles when stopChecking is called: a check still waiting for its turn stops waiting. */
  readonly stopRequested = new Promise<void>((resolve) => (this.stopAsked = resolve));
  /** The check of a saved tree against the store, running after start. */
  background: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: EventStore,
    readonly tree: MerkleTree,
    private readonly positions: LeafPositions,
    private readonly options: LedgerLogOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  get origin(): string {
    return this.options.signer.name;
  }
  get verifierKey(): string {
    return this.options.signer.verifierKey;
  }
  get where(): string {
    return this.options.storage.where;
  }

  /** Recomputes the tree from the store and checks it against every checkpoint signed so far. */
  static async open(store: EventStore, options: LedgerLogOptions): Promise<LedgerLog> {
    const saved = options.savedTree;
    // A log that does not open closes its tree: its leaves may be read through a file descriptor.
    let tree = saved?.tree;
    try {
      return await LedgerLog.openWith(store, options, (recomputed) => (tree = recomputed));
    } catch (error) {
      tree?.close();
      throw error;
    }
  }

  private static async openWith(
    store: EventStore,
    options: LedgerLogOptions,
    made: (tree: MerkleTree) => void,
  ): Promise<LedgerLog> {
    const saved = options.savedTree;
    let log: LedgerLog;
    let structural: { leafIndex: number; reason: string } | undefined;
    if (saved) {
      // The rows it was built from are unchanged: only what came after is hashed.
      log = new LedgerLog(store, saved.tree, saved.positions, options);
      log.source = 'saved-tree';
      log.savedSize = saved.positions.count;
      await log.catchUp([{ globalPosition: Number.MAX_SAFE_INTEGER } as RecordedEvent], true);
    } else {
      const recomputed = await recomputeTreeOf(store, options);
      made(recomputed.tree);
      // Beside an embedded store, the leaves' whole chunks go to a file of their own, out of memory,
      // as a tree loaded from its saved file keeps them (320 MB at ten million events).
      if (options.treeFile) recomputed.tree.moveLeavesTo(leavesFileFor(options.treeFile));
      structural = recomputed.structural;
      log = new LedgerLog(store, recomputed.tree, recomputed.positions, options);
    }
    const stored = await options.storage.load();
    log.checkpoints = stored.checkpoints;
    for (const c of stored.cosignatures) log.keepCosignature(c);
    log.status = log.checkpointProblem() ?? (await log.judge(structural));
    // Checkpoints kept in the store's own file are written in each group's transaction.
    if (options.storage.file !== undefined && options.storage.file === store.file && sealable(store))
      store.sealGroupsWith(log.sealer);
    return log;
  }

  private keepCosignature(c: StoredCosignature): void {
    const list = this.cosignatures.get(c.treeSize) ?? [];
    if (!list.some((k) => k.witness === c.witness)) list.push(c);
    this.cosignatures.set(c.treeSize, list);
  }

  get latest(): IssuedCheckpoint | undefined {
    return this.checkpoints[this.checkpoints.length - 1];
  }

  /** The latest checkpoint must be this key's signature over the root kept beside it. */
  private checkpointProblem(): LogStatus | undefined {
    const last = this.latest;
    if (!last) return undefined;
    try {
      const opened = openCheckpoint(last.note, parseVerifierKey(this.verifierKey));
      if (opened.treeSize === last.treeSize && opened.rootHash.toString('base64') === last.rootHash) return undefined;
    } catch {
      // reported below
    }
    return {
      state: 'tampered',
      position: 0,
      id: undefined,
      leafIndex: -1,
      reason: `the checkpoint of tree size ${last.treeSize} kept in ${this.where} is not this log key's signature over its root`,
    };
  }

  private rootMatches(checkpoint: IssuedCheckpoint): boolean {
    return (
      checkpoint.treeSize <= this.tree.size &&
      Buffer.from(this.tree.root(checkpoint.treeSize)).toString('base64') === checkpoint.rootHash
    );
  }

  private async eventAt(leafIndex: number): Promise<{ position: number; id: string | undefined }> {
    if (leafIndex >= this.positions.count) return { position: this.positions.last + 1, id: undefined };
    const position = this.positions.at(leafIndex);
    const [event] = await this.store.readAll({ after: position - 1, limit: 1 });
    return { position, id: event?.globalPosition === position ? event.id : undefined };
  }

  /**
   * Compares the recomputed tree with the checkpoints. Roots of one history
   * agree on every prefix, so the first checkpoint that no longer matches is
   * found by bisection, and the first bad leaf lies in the group it signed.
   */
  private async judge(structural?: { leafIndex: number; reason: string }): Promise<LogStatus> {
    const last = this.latest;
    const signedSize = last?.treeSize ?? 0;
    if (last && !this.rootMatches(last)) {
      let lo = 0;
      let hi = this.checkpoints.length - 1; // checkpoints[hi] fails
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.rootMatches(this.checkpoints[mid]!)) lo = mid + 1;
        else hi = mid;
      }
      const bad = this.checkpoints[hi]!;
      const groupStart = hi === 0 ? 0 : this.checkpoints[hi - 1]!.treeSize;
      // A revision that does not follow on names the exact event when it lies in that group.
      const leafIndex =
        structural && structural.leafIndex >= groupStart && structural.leafIndex < bad.treeSize
          ? structural.leafIndex
          : groupStart;
      const at = await this.eventAt(leafIndex);
      const reason =
        this.tree.size < bad.treeSize
          ? `the store holds ${this.tree.size} events, the checkpoint issued ${bad.issuedAt} signed ${bad.treeSize}: events were removed`
          : `the events up to tree size ${bad.treeSize} no longer hash to the root signed ${bad.issuedAt}; the first difference is in leaves ${groupStart}..${bad.treeSize - 1}${structural && leafIndex === structural.leafIndex ? ` (${structural.reason})` : ''}`;
      return { state: 'tampered', ...at, leafIndex, reason };
    }
    if (structural && structural.leafIndex < signedSize) {
      const at = await this.eventAt(structural.leafIndex);
      return { state: 'tampered', ...at, leafIndex: structural.leafIndex, reason: structural.reason };
    }
    if (this.tree.size > signedSize) {
      const positions = this.positions.slice(signedSize);
      return { state: 'unsigned-tail', treeSize: this.tree.size, signedSize, positions };
    }
    return { state: 'verified', treeSize: this.tree.size };
  }

  /** For /ready: why the log cannot be trusted as it stands, empty when it can. */
  problems(): string[] {
    const s = this.status;
    if (s.state === 'tampered')
      return [
        `the store does not match its signed checkpoints at position ${s.position}${s.id ? ` (event ${s.id})` : ''}: ${s.reason}`,
      ];
    if (s.state === 'unsigned-tail') {
      const shown = s.positions.slice(0, 10).join(', ');
      return [
        `${s.positions.length} event(s) beyond the last signed checkpoint (size ${s.signedSize}), at positions ${shown}${s.positions.length > 10 ? ', …' : ''}: look at them, then accept them with npm run verify -- --store --accept-tail`,
      ];
    }
    return this.signingFailure ? [this.signingFailure] : [];
  }

  /** The signed checkpoint of the tree as it stands now. */
  private sign(): IssuedCheckpoint {
    const treeSize = this.tree.size;
    const rootHash = Buffer.from(this.tree.root(treeSize));
    const note = signCheckpoint(this.options.signer, { origin: this.origin, treeSize, rootHash });
    return { treeSize, rootHash: rootHash.toString('base64'), issuedAt: this.clock().toISOString(), note };
  }

  private keep(issued: IssuedCheckpoint): void {
    if (!this.latest || this.latest.treeSize < issued.treeSize) this.checkpoints.push(issued);
  }

  /** Signs the tree as it stands now and keeps the checkpoint in the store. */
  private async issue(): Promise<IssuedCheckpoint> {
    const issued = this.sign();
    await this.options.storage.add(issued);
    this.keep(issued);
    return issued;
  }

  /** Drops the leaves from `size` on: a group whose transaction was rolled back. */
  private rewind(size: number): void {
    this.tree.truncate(size);
    this.positions.truncate(size);
    this.lastState = undefined;
  }

  /**
   * The leaf hashes of the group being stored, as each of its appends lands, or the append sent to
   * the leaf thread for them (undefined: one could not be hashed).
   */
  private hashed: (string | SentAppend)[] | undefined = [];

  /** The runs of the append being written that were sent to the leaf thread (undefined: one could not be). */
  private writing: SentAppend[] | undefined = [];

  /** The second thread large batches are hashed on, once started. */
  private leafThread: LeafThread | undefined;
  /** Events appends brought before the leaf thread was started. */
  private appendedEvents = 0;

  /**
   * Whether an append of `count` events is hashed here (from its export lines) or on the leaf
   * thread; starts the thread once appends have brought LEAF_THREAD_AFTER events.
   */
  private hashesHere(count: number): boolean {
    const mode = this.options.leafThread ?? 'auto';
    if (mode === 'never') return true;
    if (!this.leafThread) {
      this.appendedEvents += count;
      if (mode === 'always' || this.appendedEvents >= LEAF_THREAD_AFTER)
        this.leafThread = LeafThread.start() ?? this.leafThread;
    }
    return count < LEAF_THREAD_MIN_BATCH || this.leafThread?.usable !== true;
  }

  /** Leaves the seal took from the leaf thread's answers (a group it hashed itself counts none). */
  private leavesFromThread = 0;

  /**
   * The leaf thread's use so far, once it is started: jobs sent, leaves signed from its answers,
   * and why it was given up.
   */
  get leafThreadUse(): { jobsSent: number; leavesSigned: number; problem: string | undefined } | undefined {
    const thread = this.leafThread;
    return (
      thread && {
        jobsSent: thread.jobsSent,
        leavesSigned: this.leavesFromThread,
        problem: thread.problem,
      }
    );
  }

  /** Resolves once the leaf thread, if started, can take appends (tests wait for it). */
  async leafThreadReady(): Promise<boolean> {
    await this.leafThread?.ready;
    return this.leafThread?.usable === true;
  }

  /** The group's leaf hashes, taking the leaf thread's answers in order; undefined if one is missing. */
  private leavesOf(hashed: readonly (string | SentAppend)[]): string[] | undefined {
    const leaves: string[] = [];
    let missing = false;
    let fromThread = 0;
    for (const item of hashed) {
      if (typeof item === 'string') {
        leaves.push(item);
        continue;
      }
      // Every answer is taken, even after one is missing, so none is left for the next group.
      const answer = this.leafThread?.take(item.ticket);
      if (answer === undefined || answer.length !== 32 * item.count) missing = true;
      else for (let at = 0; at < answer.length; at += 32) leaves.push(answer.slice(at, at + 32));
      fromThread += item.count;
    }
    if (missing) return undefined;
    this.leavesFromThread += fromThread;
    return leaves;
  }

  /** The checkpoint `sealer` signed inside a group's transaction, until the transaction settles. */
  private sealing: { sizeBefore: number; issued: IssuedCheckpoint } | undefined;

  /**
   * On an embedded store, the group's checkpoint is signed inside the group's
   * transaction and written in it (see GroupSealer): one commit holds both, so
   * the group costs one fsync, and no crash can come between its commit and
   * its signature. Whatever this cannot sign there (a signing failure, a log
   * not verified, a group that does not follow on from the tree) it leaves to
   * `afterAppend`, after the commit, as before.
   */
  readonly sealer: GroupSealer = {
    begin: (count) => {
      this.writing = [];
      return this.hashesHere(count) ? 'lines' : 'rows';
    },
    written: (events, rows) => {
      if (this.status.state !== 'verified' || this.writing === undefined) return;
      try {
        this.writing.push(this.sendToLeafThread(events, rows));
      } catch {
        this.writing = undefined; // seal hashes the group itself
      }
    },
    stored: (events, lines) => {
      if (this.status.state !== 'verified' || this.hashed === undefined) return;
      try {
        if (lines === undefined) {
          const runs = this.writing;
          const sent = runs?.reduce((sum, r) => sum + r.count, 0);
          if (runs === undefined || sent !== events.length) throw new Error('not every run reached the leaf thread');
          for (const r of runs) this.hashed.push(r);
        } else for (let i = 0; i < events.length; i++) this.hashed.push(leafHashOf(events[i]!, lines[i]));
      } catch {
        this.hashed = undefined; // seal hashes the group again, and meets the same error there
      }
    },
    seal: (events) => {
      const hashed = this.hashed === undefined ? undefined : this.leavesOf(this.hashed);
      this.hashed = [];
      const first = events[0];
      if (this.status.state !== 'verified' || this.sealing || !first) return undefined;
      if (!this.followsOn(first)) return undefined;
      const sizeBefore = this.tree.size;
      try {
        if (hashed?.length === events.length)
          for (let i = 0; i < events.length; i++) {
            this.tree.appendBinary(hashed[i]!);
            this.positions.push(events[i]!.globalPosition);
          }
        else for (const event of events) this.add(event);
        const issued = this.sign();
        this.sealing = { sizeBefore, issued };
        return issued;
      } catch {
        this.rewind(sizeBefore); // afterAppend tries again after the commit, and reports what fails
        return undefined;
      }
    },
    settled: (committed) => {
      this.hashed = [];
      this.leafThread?.drain(); // answers for a group that was never sealed
      const sealed = this.sealing;
      this.sealing = undefined;
      if (!sealed) return;
      if (!committed) return this.rewind(sealed.sizeBefore);
      this.keep(sealed.issued);
      this.status = { state: 'verified', treeSize: this.tree.size };
    },
  };

  /** Whether events starting at `first` follow straight on from the tree's last leaf. */
  private followsOn(first: RecordedEvent): boolean {
    return (
      first.globalPosition === this.positions.last + 1 || (this.positions.count === 0 && first.globalPosition === 1)
    );
  }

  /** Sends an append's rows to the leaf thread, packed as a StoredAppend; throws if it cannot take them. */
  private sendToLeafThread(events: readonly RecordedEvent[], rows: RowsJson): SentAppend {
    const thread = this.leafThread;
    if (!thread?.usable) throw new Error(thread?.problem ?? 'no leaf thread');
    return { ticket: thread.send(storedAppendOf(events, rows.data, rows.metadata)), count: events.length };
  }

  /** An operator looked at the unsigned tail and vouches for it: it is signed now. */
  async acceptTail(): Promise<IssuedCheckpoint | undefined> {
    if (this.status.state === 'tampered') throw new TamperedLogError(this.problems()[0]);
    if (this.status.state !== 'unsigned-tail') return undefined;
    const issued = await this.issue();
    this.status = { state: 'verified', treeSize: this.tree.size };
    return issued;
  }

  /** Adds a stored group's events to the tree; reads the store for any events between the tree and the group. */
  private async catchUp(events: readonly RecordedEvent[], readStore = false): Promise<void> {
    const last = events[events.length - 1];
    if (!last || last.globalPosition <= this.positions.last) return;
    const first = events[0]!;
    // The usual case on the embedded store: the group follows straight on from the tree.
    const followsOn =
      first.globalPosition === this.positions.last + 1 || (this.positions.count === 0 && first.globalPosition === 1);
    if (followsOn && !readStore) {
      for (const event of events) this.add(event);
      return;
    }
    // Otherwise (non-contiguous positions, another replica's appends in between) read the store up to the group's end.
    while (this.positions.last < last.globalPosition) {
      const page = await this.store.readAll({ after: this.positions.last, limit: READ_PAGE });
      if (page.length === 0) break;
      for (const event of page) if (event.globalPosition <= last.globalPosition) this.add(event);
    }
  }

  private add(event: RecordedEvent): void {
    if (event.globalPosition <= this.positions.last) return;
    this.tree.appendBinary(leafHashBinaryOfEvent(event));
    this.positions.push(event.globalPosition);
  }

  /**
   * The writer's hook: adds a stored group's events to the tree and signs the
   * checkpoint that covers them, before the group is acknowledged. Refuses
   * (and the group is then reported as an unsigned tail) while the store does
   * not match what was signed.
   */
  afterAppend = async (events: readonly RecordedEvent[]): Promise<void> => {
    if (this.status.state !== 'verified')
      throw new TamperedLogError(`the log is not verified, nothing is signed: ${this.problems().join('; ')}`);
    try {
      await this.catchUp(events);
      if (this.tree.size !== (this.latest?.treeSize ?? 0)) {
        await this.issue();
        this.status = { state: 'verified', treeSize: this.tree.size };
      }
      this.signingFailure = undefined;
    } catch (error) {
      // Stored but unsigned: every write waits for the next signature, so /ready must say why.
      const positions =
        events.length === 0 ? '' : ` (positions ${events[0]!.globalPosition}..${events.at(-1)!.globalPosition})`;
      this.signingFailure = `events are stored but could not be signed${positions}: ${error instanceof Error ? error.message : String(error)}; the next write tries again`;
      throw error;
    }
  };

  /** Why the last write group could not be signed, until a later one is. */
  private signingFailure: string | undefined;

  /** The checkpoint's note with every witness's cosignature line appended. */
  noteWithCosignatures(checkpoint: IssuedCheckpoint): string {
    const lines = (this.cosignatures.get(checkpoint.treeSize) ?? []).map((c) => c.line);
    return lines.length === 0 ? checkpoint.note : `${checkpoint.note}${lines.join('\n')}\n`;
  }

  /** The last checkpoint issued at or before `time` (ms), if any. */
  checkpointKnownAt(time: number): IssuedCheckpoint | undefined {
    let lo = 0;
    let hi = this.checkpoints.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Date.parse(this.checkpoints[mid]!.issuedAt) <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : this.checkpoints[lo - 1];
  }

  /** The tree size and root an answer reflecting `position` stands on. */
  stateAt(position: number): { treeSize: number; rootHash: string } {
    const treeSize = Math.min(this.positions.countUpTo(position), this.tree.size);
    // Every projection answer asks, nearly always for the same size: hash a root once per size, not per request.
    if (this.lastState?.treeSize !== treeSize)
      this.lastState = { treeSize, rootHash: Buffer.from(this.tree.root(treeSize)).toString('base64') };
    return this.lastState;
  }
  private lastState: { treeSize: number; rootHash: string } | undefined;

  leafIndexOf(position: number): number {
    return this.positions.indexOf(position);
  }
  positionOf(leafIndex: number): number {
    return this.positions.at(leafIndex);
  }

  /** The size proofs may be asked for: what has been signed. */
  get signedSize(): number {
    return this.latest?.treeSize ?? 0;
  }

  inclusion(leafIndex: number, treeSize: number) {
    return {
      leafHash: Buffer.from(this.tree.leaf(leafIndex)).toString('base64'),
      rootHash: Buffer.from(this.tree.root(treeSize)).toString('base64'),
      proof: inclusionProof(this.tree, leafIndex, treeSize).map((h) => Buffer.from(h).toString('base64')),
    };
  }

  consistency(from: number, to: number) {
    return {
      fromRoot: Buffer.from(this.tree.root(from)).toString('base64'),
      rootHash: Buffer.from(this.tree.root(to)).toString('base64'),
      proof: consistencyProof(this.tree, from, to).map((h) => Buffer.from(h).toString('base64')),
    };
  }

  /**
   * A witness's cosignature line for a checkpoint: kept when it is a valid
   * cosignature/v1 by a configured witness over a checkpoint this log issued.
   */
  async addCosignature(treeSize: number, line: string): Promise<{ witness: string } | { error: string }> {
    const checkpoint = this.checkpoints.find((c) => c.treeSize === treeSize);
    if (!checkpoint) return { error: `no checkpoint of tree size ${treeSize} was issued` };
    let parsed;
    try {
      parsed = parseNote(`${checkpoint.note}${line.trim()}\n`);
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
    const sig = parsed.signatures[parsed.signatures.length - 1]!;
    const body = parseNote(checkpoint.note).body;
    for (const witness of this.options.witnesses ?? []) {
      if (verifyCosignature(body, sig, witness) !== undefined) {
        const stored = { treeSize, witness: witness.name, line: sig.line, receivedAt: this.clock().toISOString() };
        await this.options.storage.addCosignature(stored);
        this.keepCosignature(stored);
        return { witness: witness.name };
      }
    }
    return { error: 'not a valid cosignature/v1 by any witness in WITNESS_KEYS' };
  }

  /**
   * Recomputes every leaf from the store and compares it with the tree the
   * service started from (a saved one): the saved tree is a cache, and this
   * is what would catch an edit made together with a forged cache. A
   * difference makes the log tampered, naming the first event that differs.
   */
  async verifyAgainstStore(): Promise<LogStatus> {
    if (this.closing) return this.status;
    const stop = () => this.closing;
    const file = await treeThreadFile(this.store, this.options);
    // The leaves this process hashed so far, where the tree keeps them (shared memory, not a copy);
    // those it adds meanwhile it makes from what it writes.
    const size = this.tree.size;
    const leaves = this.tree.leafChunks(size);
    const { first, position: found } = file
      ? await compareWithStoreOffThread(this.store, file, leaves, size, treeThreadOptions(this.options, stop))
      : await compareWithStore(this.store, leaves, size, stop);
    if (this.closing) return this.status;
    if (first >= 0 && this.status.state !== 'tampered') {
      const position = found ?? this.positions.last + 1;
      const [event] = await this.store.readAll({ after: position - 1, limit: 1 });
      this.status = {
        state: 'tampered',
        position,
        id: event?.globalPosition === position ? event.id : undefined,
        leafIndex: first,
        reason: `the event at leaf ${first} in the store differs from the one the service hashed before it stopped`,
      };
    }
    return this.status;
  }

  /**
   * Stops the background check of a saved tree at its next page and waits for it: call before the
   * store closes, or the check meets a closed store and reports that as a failure.
   */
  async stopChecking(): Promise<void> {
    this.closing = true;
    this.stopAsked();
    await this.background;
  }

  /** Closes the checkpoints' storage, then saves the tree beside an embedded store for the next start. */
  async close(): Promise<void> {
    try {
      await this.stopChecking();
      await this.leafThread?.close();
      await this.options.storage.close();
      const file = this.store.file;
      if (!this.options.treeFile || !file || file === ':memory:' || this.status.state === 'tampered') return;
      // The tree taken up at start, nothing added, the store file as it was: the saved tree is still this one.
      const saved = this.options.savedTree;
      const unchanged =
        this.source === 'saved-tree' &&
        saved?.fileStamp !== undefined &&
        this.tree.size === this.savedSize &&
        existsSync(this.options.treeFile) &&
        storeFileStamp(file) === saved.fileStamp;
      // A tree loaded from its file reads its leaves from there, saving included: the new file
      // replaces the old only once whole, and the descriptor read from is the old one's.
      if (!unchanged) await saveTree(this.options.treeFile, this.tree, this.positions, file);
    } finally {
      this.tree.close();
    }
  }
}
