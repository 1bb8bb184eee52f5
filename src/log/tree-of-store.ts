/**
 * The log's tree recomputed from every event in the store: at a start without a saved tree, and in
 * the background after a start with one (the saved tree is a cache, checked against the store).
 *
 * On an embedded store of many events this runs on a second thread (tree-worker.ts) with a
 * read-only connection of its own, while the main thread catches the projections and the writer's
 * book up: at a million events each of the two is about 8 s of CPU, and one after the other they
 * made the first start twice as long as it need be. The worker builds the tree exactly as
 * `recomputeTree` does (the same TreeBuilder, over the same rows, read by position), and hands back
 * its levels. A worker that cannot start, fails, exits without an answer, or goes quiet costs only
 * time: the tree is then recomputed here.
 */
import { Worker } from 'node:worker_threads';
import type { RecordedEvent } from '../../events/index.js';
import type { EventStore } from '../store/port.js';
import { envelopeOfRow, exportLineOfRow, type RawEventRow } from '../store/sqlite-rows.js';
import { leafHashBinaryOfEvent, leafHashBinaryOfLine, type Envelope } from './leaf.js';
import { LeafPositions, type LeafPositionsParts } from './leaf-positions.js';
import { CHUNK_HASHES, LeafChunkReader, MerkleTree, type LeafChunks } from './merkle.js';
import { workerEntry } from '../worker-entry.js';

/** How many events a recompute reads at a time. */
export const READ_PAGE = 1000;

/** The first event whose stream revision does not follow on from the one before it in its stream. */
export interface StructuralBreak {
  leafIndex: number;
  position: number;
  id: string;
  reason: string;
}

/** A tree recomputed from the store. */
export interface RecomputedTree {
  tree: MerkleTree;
  positions: LeafPositions;
  structural: StructuralBreak | undefined;
}

/**
 * The leaf of a row of the embedded store, and its envelope, for the tree and its check: the hash
 * of the row's export line (`exportLineOfRow`: from the row's texts as they are where they are in
 * RFC 8785 form already).
 */
export function leafOfRow(row: RawEventRow): { envelope: Envelope; leaf: string } {
  const envelope = envelopeOfRow(row);
  return { envelope, leaf: leafHashBinaryOfLine(exportLineOfRow(row, envelope)) };
}

/** Folds events, in global order, into the tree, its positions, and the first structural break. */
export class TreeBuilder {
  readonly tree = new MerkleTree();
  readonly positions = new LeafPositions();
  structural: StructuralBreak | undefined;
  private readonly revisions = new Map<string, number>();

  add(event: RecordedEvent): void {
    this.addLeaf(event, leafHashBinaryOfEvent(event));
  }

  /** A row of the embedded store, read as the tree worker reads it (see `leafOfRow`). */
  addRow(row: RawEventRow): void {
    const { envelope, leaf } = leafOfRow(row);
    this.addLeaf(envelope, leaf);
  }

  private addLeaf(event: Envelope, leaf: string): void {
    const expected = (this.revisions.get(event.stream) ?? -1) + 1;
    if (this.structural === undefined && event.streamRevision !== expected)
      this.structural = {
        leafIndex: this.tree.size,
        position: event.globalPosition,
        id: event.id,
        reason: `stream ${event.stream} jumps from revision ${expected - 1} to ${event.streamRevision}: an event was removed, moved or inserted`,
      };
    this.revisions.set(event.stream, event.streamRevision);
    this.tree.appendBinary(leaf);
    this.positions.push(event.globalPosition);
  }

  get result(): RecomputedTree {
    return { tree: this.tree, positions: this.positions, structural: this.structural };
  }
}

/** The tree of the store as it is now, and the first place its streams' revisions do not follow on. */
export async function recomputeTree(store: EventStore): Promise<RecomputedTree> {
  const builder = new TreeBuilder();
  let after = 0;
  for (;;) {
    const page = await store.readAll({ after, limit: READ_PAGE });
    for (const event of page) builder.add(event);
    if (page.length > 0) after = page[page.length - 1]!.globalPosition;
    if (page.length < READ_PAGE) break;
    // A page's reads resolve as microtasks: without a turn of the event loop between pages, a
    // background check at start would hold back every socket and timer until the last leaf.
    await new Promise<void>((resume) => setImmediate(resume));
  }
  return builder.result;
}

/** Where the leaves the store gives first differ from a tree's (see `LeafComparer`). */
export interface LeafComparison {
  /** How many leaves were read from the store (up to the first difference). */
  read: number;
  /** The index of the first leaf that differs, or that the store lacks; -1 when none does. */
  first: number;
  /** The global position of the store's event at `first`, when the store has one there. */
  position: number | undefined;
}

/**
 * Compares the leaves the store gives, in order, with the first `count` leaves of a tree (`leaves`,
 * its chunks of 32-byte hashes, as `MerkleTree.leafChunks` gives them): the background check of a
 * saved tree. Only the leaves are made, not the tree above them, and the reading stops at the first
 * difference: nothing after it changes the answer.
 */
export class LeafComparer {
  private read = 0;
  private first = -1;
  private position: number | undefined;
  /** Where the next leaf to compare is: its chunk, and its byte in that chunk. */
  private chunk = 0;
  private at = 0;
  private readonly leaves: LeafChunkReader;
  private bytes: Uint8Array | undefined;

  constructor(
    leaves: LeafChunks,
    private readonly count: number,
  ) {
    const held =
      (leaves.onDisk?.chunks ?? 0) * CHUNK_HASHES * 32 + leaves.inMemory.reduce((sum, chunk) => sum + chunk.length, 0);
    if (held < count * 32) throw new RangeError(`${count} leaves to compare, and ${held / 32} given`);
    this.leaves = new LeafChunkReader(leaves);
  }

  /** False once the answer is known (a leaf differs, or the tree's leaves are all compared). */
  add(event: RecordedEvent): boolean {
    if (this.first >= 0 || this.read >= this.count) return false;
    return this.compare(event, leafHashBinaryOfEvent(event));
  }

  /** `add` for a row of the embedded store, read as the tree worker reads it (see `leafOfRow`). */
  addRow(row: RawEventRow): boolean {
    if (this.first >= 0 || this.read >= this.count) return false;
    const { envelope, leaf } = leafOfRow(row);
    return this.compare(envelope, leaf);
  }

  private compare(event: Envelope, leaf: string): boolean {
    this.bytes ??= this.leaves.chunk(0);
    while (this.at >= this.bytes.length) {
      this.bytes = this.leaves.chunk(++this.chunk);
      this.at = 0;
    }
    const bytes = this.bytes;
    let same = true;
    for (let i = 0; i < 32 && same; i++) same = leaf.charCodeAt(i) === bytes[this.at + i];
    if (!same) {
      this.first = this.read;
      this.position = event.globalPosition;
    }
    this.at += 32;
    this.read++;
    return this.first < 0 && this.read < this.count;
  }

  get result(): LeafComparison {
    // A store with fewer events than the tree has leaves lacks the next one.
    const first = this.first >= 0 ? this.first : this.read < this.count ? this.read : -1;
    return { read: this.read, first, position: this.first >= 0 ? this.position : undefined };
  }
}

/** `LeafComparer` over the store, read here. A comparison stopped part way (`stop`) answers nothing: its caller is closing. */
export async function compareWithStore(
  store: EventStore,
  leaves: LeafChunks,
  count: number,
  stop: () => boolean = () => false,
): Promise<LeafComparison> {
  const comparer = new LeafComparer(leaves, count);
  let after = 0;
  for (;;) {
    const page = await store.readAll({ after, limit: READ_PAGE });
    let going = true;
    for (const event of page) if (!(going = comparer.add(event))) break;
    if (page.length > 0) after = page[page.length - 1]!.globalPosition;
    if (!going || page.length < READ_PAGE || stop()) break;
    await new Promise<void>((resume) => setImmediate(resume)); // see recomputeTree
  }
  return comparer.result;
}

/** What the tree worker posts: progress now and then, then its answer, or why it could not make one. */
export type TreeWorkerMessage =
  | { progress: number }
  | {
      /** The tree's levels and positions, their buffers moved here rather than copied. */
      levels: { chunks: Uint8Array[]; count: number }[];
      positions: LeafPositionsParts;
      structural: StructuralBreak | undefined;
    }
  | { compared: LeafComparison }
  | { failed: string };

/** What the tree worker is given. */
export interface TreeWorkerData {
  file: string;
  /** Set to 1 to make a comparison stop at its next page (and answer with what it has); a tree is always made whole. */
  stop: Int32Array;
  /** Events between progress messages. */
  progressEvery: number;
  /**
   * Given, it compares the store's leaves with these (chunks of 32-byte hashes: in shared memory, as
   * a tree keeps its leaves, they are read where they are) instead of making a tree.
   */
  compare?: { leaves: LeafChunks; count: number };
}

/** The index in `stop` the worker reads. */
export const STOP = 0;

export interface TreeThreadOptions {
  /** Asked at each progress message: true makes a comparison stop (a background check at close). */
  stop?: () => boolean;
  /** How long the worker may stay silent before it is given up. Default 30 s (it reports every 20,000 events). */
  silentForMs?: number;
  /** Events between the worker's progress messages (the stop is asked at each). Default 20,000. */
  progressEvery?: number;
  /** Starts the worker; tests pass one that fails or never answers. */
  startWorker?: (data: TreeWorkerData) => Worker;
  /** Told why the worker was given up, before the work is done here. */
  onFallback?: (why: string) => void;
}

const PROGRESS_EVERY = 20_000;
const SILENT_FOR_MS = 30_000;

/**
 * A comparison (the background check after a restart) runs beside a service that answers, at a lower
 * priority, so it is held to a small young generation: what it allocates is a page of rows and their
 * lines at a time, all garbage at once, and V8's default let its semi-spaces grow to 16 MB each.
 */
const CHECK_YOUNG_GENERATION_MB = 4;

const startTreeWorker = (data: TreeWorkerData): Worker => {
  const { entry, eval: isScript } = workerEntry('tree-worker', import.meta.url);
  return new Worker(entry, {
    eval: isScript,
    workerData: data,
    ...(data.compare ? { resourceLimits: { maxYoungGenerationSizeMb: CHECK_YOUNG_GENERATION_MB } } : {}),
  });
};

/** An answer, and whether the second thread gave it or this one did (and why). */
export type OffThread<T> = (T & { thread: 'second' }) | (T & { thread: 'this'; why: string });

/**
 * Runs the tree worker on `file` and takes its answer (`take` returns undefined for a message that
 * is not the answer it waits for), or does the work here (`here`) when the thread cannot.
 */
function onSecondThread<T extends object>(
  file: string,
  options: TreeThreadOptions,
  compare: TreeWorkerData['compare'],
  take: (message: TreeWorkerMessage) => T | string | undefined,
  here: (stop: () => boolean) => Promise<T>,
): Promise<OffThread<T>> {
  const stop = options.stop ?? (() => false);
  const silentForMs = options.silentForMs ?? SILENT_FOR_MS;
  return new Promise<T | { why: string }>((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let worker: Worker;
    const data: TreeWorkerData = {
      file,
      stop: new Int32Array(new SharedArrayBuffer(4)),
      progressEvery: options.progressEvery ?? PROGRESS_EVERY,
      ...(compare ? { compare } : {}),
    };
    const settle = (outcome: T | { why: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ('why' in outcome) void worker?.terminate().catch(() => undefined);
      resolve(outcome);
    };
    const watch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => settle({ why: `it was silent for ${silentForMs} ms` }), silentForMs);
    };
    try {
      worker = (options.startWorker ?? startTreeWorker)(data);
    } catch (error) {
      return settle({ why: `it could not start: ${error instanceof Error ? error.message : String(error)}` });
    }
    watch();
    worker.on('message', (message: TreeWorkerMessage) => {
      if ('progress' in message) {
        if (stop()) Atomics.store(data.stop, STOP, 1);
        return watch();
      }
      if ('failed' in message) return settle({ why: message.failed });
      try {
        const answer = take(message);
        if (answer === undefined) return settle({ why: 'it gave an answer to another question' });
        settle(typeof answer === 'string' ? { why: answer } : answer);
      } catch (error) {
        settle({ why: `its answer was not whole: ${error instanceof Error ? error.message : String(error)}` });
      }
    });
    worker.once('error', (error) => settle({ why: `it failed: ${error.message}` }));
    worker.once('exit', (code) => settle({ why: `it exited (code ${code}) without an answer` }));
  }).then(async (outcome): Promise<OffThread<T>> => {
    if (!('why' in outcome)) return { ...outcome, thread: 'second' };
    options.onFallback?.(outcome.why);
    return { ...(await here(stop)), thread: 'this', why: outcome.why };
  });
}

/**
 * `recomputeTree` on a second thread reading `file`, the store's, or here when that thread cannot do
 * it. The worker reads through its own connection: the caller runs this before the first append.
 */
export function recomputeTreeOffThread(
  store: EventStore,
  file: string,
  options: Omit<TreeThreadOptions, 'stop'> = {},
): Promise<OffThread<RecomputedTree>> {
  return onSecondThread<RecomputedTree>(
    file,
    options,
    undefined,
    (message) => {
      if (!('levels' in message)) return undefined;
      const tree = MerkleTree.adoptLevels(message.levels);
      const positions = LeafPositions.adopt(message.positions);
      if (positions.count !== tree.size) return 'its tree and its positions differ in length';
      return { tree, positions, structural: message.structural };
    },
    () => recomputeTree(store),
  );
}

/**
 * `compareWithStore` on a second thread reading `file`, the store's, or here when that thread
 * cannot do it. `leaves` are the tree's own (`MerkleTree.leafChunks`): in shared memory, so the
 * thread reads them where they are, or in the saved tree's file, which it reads itself.
 */
export function compareWithStoreOffThread(
  store: EventStore,
  file: string,
  leaves: LeafChunks,
  count: number,
  options: TreeThreadOptions = {},
): Promise<OffThread<LeafComparison>> {
  return onSecondThread<LeafComparison>(
    file,
    options,
    { leaves, count },
    (message) => ('compared' in message ? message.compared : undefined),
    (stop) => compareWithStore(store, leaves, count, stop),
  );
}
