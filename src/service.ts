/**
 * Opens the ledger: the store chosen by configuration, the writer and the
 * projector on top of it, and the mission's history on an empty store.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { IncomingEvent } from '../events/index.js';
import type { Config } from './config.js';
import { toProposal } from './http/routes/events.js';
import { BookBuilder, bookToCheckpoint, type BookCheckpoint } from './ledger/book-checkpoint.js';
import { LEDGER_STREAM } from './ledger/book.js';
import { LedgerWriter, type WriterOptions } from './ledger/writer.js';
import type { LedgerLog } from './log/ledger-log.js';
import { openLog, savedTreeFor } from './log/open.js';
import { SharedFoldReads } from './read/catch-up.js';
import { firstEventId, loadCheckpoint, saveCheckpoint, type CheckpointStore } from './read/checkpoint.js';
import { digestThreadsGone } from './read/digest-thread.js';
import { earlyReadsFor, type EarlyReads } from './early-reads.js';
import { interner, internStrings } from './read/intern.js';
import {
  bookFile,
  checkpointFileIn,
  idIndexFile,
  readCheckpoints,
  type CheckpointReads,
} from './read/checkpoint-files.js';
import { Projector, type ProjectorExport } from './read/projector.js';
import { MAIN_MARK } from './read/split-fold.js';
import { checkDataDir, StartupError, type DataDir } from './store/data-dir.js';
import { isStoreFault, sqliteFault, within, type StoreFault } from './store/faults.js';
import type { EventStore } from './store/port.js';
import { openSqliteStore } from './store/sqlite.js';

export interface Ledger {
  store: EventStore;
  writer: LedgerWriter;
  projector: Projector;
  /** Why every write is refused, when the store could only be opened for reading. */
  readOnly?: string;
  /** What keeps the ledger from taking writes or following the store right now; empty when all is well. For /ready. */
  health(): Promise<string[]>;
  /** The verifiable log (Merkle tree and signed checkpoints), when the service runs one. */
  log?: LedgerLog;
  /** How many events the projections folded to catch up at start: the whole log without a checkpoint, the tail after one. */
  foldedAtStart: number;
  /**
   * Stops writer and projections, closes the store and writes the checkpoints. `afterStoreClosed`
   * runs between the last two: the log saves its tree there (it needs the store file closed).
   */
  close(afterStoreClosed?: () => Promise<void>): Promise<void>;
}

export async function openStore(
  config: Pick<Config, 'DATA_DIR' | 'EVENTSTORE_CONNECTION_STRING'> & Partial<Pick<Config, 'STORE_TIMEOUT_MS'>>,
): Promise<EventStore> {
  if (config.EVENTSTORE_CONNECTION_STRING) {
    const { openEventStoreDbStore, callTimeoutWithin } = await import('./store/eventstoredb.js');
    return openEventStoreDbStore({
      connectionString: config.EVENTSTORE_CONNECTION_STRING,
      timeoutMs: callTimeoutWithin(config.STORE_TIMEOUT_MS),
      // Only the ledger's ids matter for idempotency; the index saved at the last stop spares reading $all.
      indexStreams: [LEDGER_STREAM],
      indexFile: idIndexFile(checkpointFile(config)),
    });
  }
  mkdirSync(config.DATA_DIR, { recursive: true });
  return openSqliteStore({ file: path.join(config.DATA_DIR, 'ledger.sqlite') });
}

export const checkpointFile = (config: Pick<Config, 'DATA_DIR'>) => checkpointFileIn(config.DATA_DIR);
const PROJECTOR_CHECKPOINT = 'projector';
const BOOK_CHECKPOINT = 'book';

/**
 * The projections' export holds views of their columns, which later folds change (a keyed log links
 * its records in place): the store's binding is read first, so that nothing is folded between the
 * export and the write.
 */
export async function saveProjectorCheckpoint(file: string, projector: Projector, store: CheckpointStore) {
  const bound = 'firstEventId' in store ? store : { firstEventId: await firstEventId(store) };
  return saveCheckpoint(file, PROJECTOR_CHECKPOINT, projector.state.position, projector.export(), bound);
}

const saveBookCheckpoint = (file: string, writer: LedgerWriter, store: CheckpointStore) =>
  saveCheckpoint(bookFile(file), BOOK_CHECKPOINT, writer.book.position, bookToCheckpoint(writer.book), store);

export interface StartOptions {
  clock?: () => Date;
  /** Where the projections' checkpoint lives; without one every start replays the log. */
  checkpointFile?: string;
  /** The checkpoint files' reads, when they were started earlier (readCheckpoints); else they are read here. */
  checkpointReads?: CheckpointReads;
  /** The longest a submission waits for the store (STORE_TIMEOUT_MS). */
  storeTimeoutMs?: number;
  /** Set when the store was opened for reading only: why. */
  readOnly?: string;
  /** The data directory, when the store lives in it: a full disk's recovery is seen there. */
  dataDir?: string;
  logger?: Logger;
  /** The verifiable log's hook: signs each write group before it is acknowledged (src/log). */
  afterAppend?: WriterOptions['afterAppend'];
  /** A start that folds at least this many events writes its checkpoints before it resolves (default CHECKPOINT_AFTER_FOLDING). */
  checkpointAfterFolding?: number;
}

/**
 * A start that folded this many events or more writes its checkpoints at once, before the service
 * answers, rather than at the clean stop it may never get. At 10,000,000 events the projections'
 * checkpoint is 1.1 GB and takes 16-17 s to write: more than a stop is given (SHUTDOWN_TIMEOUT_MS,
 * 10 s; Docker's own default is the same), and a stop cut short leaves none, so the next start folded
 * the whole log again (106 s instead of 10). Below this, folding again costs a few seconds at most.
 */
export const CHECKPOINT_AFTER_FOLDING = 200_000;

/**
 * Room on the data directory's disk. Below the low mark the service reports itself not ready
 * before a write fails; after a write failed for want of room, it waits for the higher mark, so
 * it does not flap between ready and full.
 */
const LOW_ROOM_BYTES = 1024 * 1024;
const ROOM_AFTER_FULL_BYTES = 16 * 1024 * 1024;

async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const fs = await statfs(dir);
    return fs.bavail * fs.bsize;
  } catch {
    return undefined;
  }
}

async function hasRoom(dir: string): Promise<boolean> {
  return ((await freeBytes(dir)) ?? 0) >= ROOM_AFTER_FULL_BYTES;
}

/**
 * One read of the log for the book's and the projections' catch-ups when both start from the same
 * place (a first start, or both checkpoints at the same position far behind) on a store that can
 * mark its pages. A store that cannot answer now shares nothing: the catch-ups meet its fault.
 */
async function sharedReadsAtStart(
  store: EventStore,
  writer: LedgerWriter,
  projector: Projector,
): Promise<SharedFoldReads | undefined> {
  const from = writer.position;
  const readMarked = store.readForFoldMarked?.bind(store);
  if (!readMarked || projector.state.position !== from) return undefined;
  const head = await store.headPosition().catch(() => undefined);
  if (head === undefined || head <= from) return undefined;
  return new SharedFoldReads(readMarked, from, head, MAIN_MARK, (ids) => store.readByIds(ids));
}

/** Starts writer and projector on a store; both have caught up when this resolves. */
export async function startLedger(
  store: EventStore,
  // Not kept in `options`, which the ledger's methods hold: the files' bytes are garbage once restored.
  { checkpointReads, ...options }: StartOptions = {},
): Promise<Ledger> {
  const logger = options.logger;
  const logFault = (fault: StoreFault, during: string) =>
    logger?.warn({ fault: fault.fault, during, err: fault.message }, 'store fault');
  const writer = new LedgerWriter(store, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.storeTimeoutMs ? { timeoutMs: options.storeTimeoutMs } : {}),
    onFault: logFault,
    onRecovered: () => logger?.info('the store answers again: following it'),
    ...(options.afterAppend ? { afterAppend: options.afterAppend } : {}),
  });
  const projector = new Projector(store);
  projector.onFault = (fault) => logFault(fault, 'projections following the store');
  const readOnly = options.readOnly;
  const timeoutMs = options.storeTimeoutMs ?? 5000;

  /** Has the fault the last append met gone? A full disk has room again; an unreachable store answers. */
  const recovered = async (fault: NonNullable<LedgerWriter['fault']>): Promise<boolean> => {
    if (fault.fault === 'store-read-only') return false;
    if (fault.fault === 'store-full' && options.dataDir) return hasRoom(options.dataDir);
    try {
      await within(store.headPosition(), timeoutMs, () => new Error('timed out'));
      return true;
    } catch {
      return false;
    }
  };
  const file = options.checkpointFile;
  /** The positions the checkpoints on disk reflect: a stop with nothing folded since need not write them again. */
  const onDisk: { projections?: number; book?: number } = {};
  if (file) {
    // Both share their names and ids: the projections and the book, as restored, share their strings.
    const strings = new Map<string, string>();
    const log = logger ? (line: string) => logger.warn(line) : undefined;
    const reads = checkpointReads ?? readCheckpoints(file);
    const checkpoint = await loadCheckpoint<ProjectorExport>(file, PROJECTOR_CHECKPOINT, store, {
      bytes: reads.projections,
      ...(log ? { log } : {}),
    });
    if (checkpoint) {
      // Not the time indexes: their key names are each kept once, and most (a shipment's transit
      // account, a million of them at 10M events) name nothing else, so interning them shared a
      // few thousand strings at the cost of hashing every one (42 ms of a restart at 1M).
      const { indexes, ...rest } = checkpoint.state;
      projector.restore({ ...internStrings(rest, strings), indexes });
    }
    const book = await loadCheckpoint<BookCheckpoint>(bookFile(file), BOOK_CHECKPOINT, store, {
      bytes: reads.book,
      ...(log ? { log } : {}),
    });
    // Whether a restart folds a tail or the whole log is the first thing an operator wants to know.
    logger?.info(
      {
        projections: checkpoint ? `restored at position ${checkpoint.position}` : 'none: the log is replayed',
        book: book ? `restored at position ${book.position}` : 'none: the log is replayed',
      },
      'checkpoints at start',
    );
    if (book) {
      // Built once the service listens (serve.ts), or by the first write: reads never need it. Its
      // shipment ids and serials are interned as they are built, the rest now.
      const { shipments, serials, ...rest } = book.state;
      const interned = { ...internStrings(rest, strings), shipments, serials };
      writer.restoreLater(book.position, new BookBuilder(interned, interner(strings)));
    }
    // The file's bytes are garbage only once the threads that hashed them are gone (serve.ts collects next).
    await digestThreadsGone();
    if (checkpoint) onDisk.projections = checkpoint.position;
    if (book) onDisk.book = book.position;
  }
  const [bookReads, projectionReads] = (await sharedReadsAtStart(store, writer, projector))?.readers() ?? [];
  const restoredAt = projector.state.position;
  await Promise.all([writer.start(bookReads), projector.start(projectionReads)]);
  const foldedAtStart = projector.state.position - restoredAt;

  /** Writes whichever checkpoint is not on disk at its current position. Throws what a write meets. */
  const saveCheckpoints = async (file: string, bound: CheckpointStore = store) => {
    // Unchanged since start (and still there): rewriting 100 MB at 1M events would only slow the stop.
    if (projector.state.position !== onDisk.projections || !existsSync(file)) {
      const position = projector.state.position;
      await saveProjectorCheckpoint(file, projector, bound);
      onDisk.projections = position;
    }
    if (writer.position !== onDisk.book || !existsSync(bookFile(file))) {
      const position = writer.position;
      await saveBookCheckpoint(file, writer, bound);
      onDisk.book = position;
    }
  };

  if (file && !readOnly && foldedAtStart >= (options.checkpointAfterFolding ?? CHECKPOINT_AFTER_FOLDING)) {
    // Nothing is recorded before the service listens, so the state written is the state folded.
    const started = performance.now();
    try {
      await saveCheckpoints(file);
      await store.saveIdIndex?.(idIndexFile(file));
      logger?.info(
        { folded: foldedAtStart, ms: Math.round(performance.now() - started) },
        'checkpoints written after a long catch-up: a restart folds only what comes after them',
      );
    } catch (error) {
      logger?.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'checkpoint not saved after the catch-up: the next start folds the log again, unless a clean stop writes one',
      );
    }
  }

  return {
    store,
    writer,
    projector,
    foldedAtStart,
    ...(readOnly ? { readOnly } : {}),
    async health() {
      const problems: string[] = [];
      if (readOnly) problems.push(`the store is read-only (${readOnly}): reads are served, every write is refused`);
      if (writer.stopped) problems.push(`the writer stopped following the store: ${writer.stopped.message}`);
      if (projector.stopped) problems.push(`the projections stopped following the store: ${projector.stopped.message}`);
      if (projector.fault) problems.push(`the projections wait for the store: ${projector.fault}`);
      if (options.dataDir && !readOnly) {
        const free = await freeBytes(options.dataDir);
        if (free !== undefined && free < LOW_ROOM_BYTES)
          problems.push(`the disk holding ${options.dataDir} is full (${free} bytes free): writes would fail`);
      }
      const fault = writer.fault;
      if (fault) {
        if (await recovered(fault)) {
          if (writer.fault === fault) writer.fault = undefined;
          logger?.info({ fault: fault.fault }, 'the store looks writable again');
        } else problems.push(`writes fail: ${fault.message} (since ${fault.at})`);
      }
      return problems;
    },
    async close(afterStoreClosed) {
      await writer.close();
      await projector.close();
      // A clean stop leaves a checkpoint: the next start folds only what comes after it. One that
      // cannot be written (a full disk, a store that cannot be read) is no reason to fail the stop:
      // the next start replays.
      const notSaved = (error: unknown) =>
        logger?.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'checkpoint not saved: the next start replays the log',
        );
      let bound: CheckpointStore | undefined;
      if (file && !readOnly) {
        try {
          bound = { firstEventId: await firstEventId(store) };
          await store.saveIdIndex?.(idIndexFile(file));
        } catch (error) {
          notSaved(error);
        }
      }
      await store.close();
      // The log's tree is saved before the checkpoints: a stop cut short by its deadline then loses
      // a checkpoint, which costs the next start the events since the one on disk, rather than the
      // tree, whose recomputation reads every event (100 s at 10,000,000).
      await afterStoreClosed?.();
      if (file && bound) await saveCheckpoints(file, bound).catch(notSaved);
    },
  };
}

export const SEED_PRINCIPAL = 'seed:mission-history';

/**
 * Records the mission's history as one atomic batch. Its ids are fixed, so
 * seeding again records nothing new. Registrations of parties and item types
 * the store already has (from synthetic data, say) are left out.
 */
export async function seedMissionHistory(
  ledger: Pick<Ledger, 'writer' | 'store'>,
  // Loaded when a store is seeded, not at every start.
  history?: readonly IncomingEvent[],
): Promise<{ recorded: number; alreadyRecorded: number }> {
  history ??= (await import('../seeds/mission-history.js')).missionHistory;
  const stored = new Set((await ledger.store.readByIds(history.flatMap((e) => (e.id ? [e.id] : [])))).map((e) => e.id));
  const book = ledger.writer.book;
  const missing = history.filter(
    (e) =>
      !(e.id && stored.has(e.id)) &&
      !(e.type === 'PartyRegistered' && book.parties.has(e.data.partyId)) &&
      !(e.type === 'ItemTypeRegistered' && book.itemTypes.has(e.data.itemType)),
  );
  if (missing.length === 0) return { recorded: 0, alreadyRecorded: stored.size };
  const result = await ledger.writer.submit({ proposals: missing.map(toProposal), recordedBy: SEED_PRINCIPAL });
  return { recorded: result.replayed ? 0 : result.events.length, alreadyRecorded: stored.size };
}

/**
 * The embedded store as the data directory allows: for writing when it can be written; otherwise
 * (a read-only file or mount, a disk so full SQLite cannot open it in place) for reading only,
 * so the history is still served.
 */
export function openEmbeddedStore(dataDir: DataDir, logger?: Logger): { store: EventStore; readOnly?: string } {
  const file = dataDir.ledgerFile;
  let reason = dataDir.writable ? undefined : dataDir.reason;
  if (dataDir.writable) {
    try {
      return { store: openSqliteStore({ file }) };
    } catch (error) {
      const fault = sqliteFault(error);
      const message = error instanceof Error ? error.message : String(error);
      if (!fault) throw new StartupError(`the store ${file} cannot be opened: ${message}`);
      if (!dataDir.hasLedger) throw new StartupError(`the store ${file} cannot be created: ${fault.message}`);
      reason = fault.message;
    }
  }
  logger?.warn({ file, reason }, 'the store cannot be written: serving it read-only');
  try {
    return { store: openSqliteStore({ file, readonly: true }), readOnly: reason ?? 'read-only' };
  } catch {
    // SQLite cannot read a WAL file in place without its shared-memory file: read a copy.
    try {
      return { store: openSqliteStore({ file, readonly: 'snapshot' }), readOnly: reason ?? 'read-only' };
    } catch (error) {
      throw new StartupError(
        `the store ${file} cannot be read either: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

export interface OpenLedgerOptions {
  /** The data directory as checked at start (checkDataDir); checked here when not given. */
  dataDir?: DataDir;
  /** Told of each failed attempt to reach a store that is down, and when the next comes. */
  onConnectAttempt?: (attempt: number, fault: StoreFault, retryInMs: number) => void;
  /**
   * The background check of a saved tree waits for this too (serve.ts: the service listening), so it
   * does not slow the start; it stops waiting when the ledger is closed.
   */
  checkAfter?: Promise<unknown>;
  /** The checkpoints' and the saved tree's reads, started before the modules loaded (main.ts); used if they are of this store. */
  early?: EarlyReads;
}

/**
 * Reaches a store that may be down (a server starting, a network not yet up): tries again with
 * backoff until `timeoutMs` has passed, then gives up with the last fault.
 */
export async function connectWithRetry(
  open: () => Promise<EventStore>,
  timeoutMs: number,
  onAttempt?: OpenLedgerOptions['onConnectAttempt'],
): Promise<EventStore> {
  const deadline = Date.now() + timeoutMs;
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await open();
    } catch (error) {
      if (!isStoreFault(error) || error.fault !== 'store-unavailable') throw error;
      const left = deadline - Date.now();
      if (left <= 0) throw error;
      const wait = Math.min(delay, left);
      onAttempt?.(attempt, error, wait);
      await sleep(wait);
      delay = Math.min(delay * 2, 5000);
    }
  }
}

/**
 * The verifiable log over the store. A store opened read-only cannot keep checkpoints (nor, on a
 * read-only directory, a development key): it is served without proofs, and /ready says it is read-only.
 */
async function openLogUnlessReadOnly(
  store: EventStore,
  config: Config,
  logger: Logger | undefined,
  readOnly: string | undefined,
  savedTree: Awaited<ReturnType<typeof savedTreeFor>>,
  checkAfter: Promise<unknown>[],
): Promise<LedgerLog | undefined> {
  try {
    return await openLog(store, config, logger, undefined, savedTree, { checkAfter });
  } catch (error) {
    if (!readOnly) throw error;
    logger?.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'the verifiable log cannot be opened on a read-only store: no proofs are served',
    );
    return undefined;
  }
}

export async function openLedger(config: Config, logger?: Logger, options: OpenLedgerOptions = {}): Promise<Ledger> {
  // The checkpoints (117 MB at 1M events) and the saved tree (72 MB) are read on the thread pool,
  // all at once, while this thread goes on: main.ts starts them before the service's modules load
  // (early), and serve.ts loads the HTTP app's modules meanwhile.
  const early = earlyReadsFor(options.early, config);
  // Reads of another directory are not used: the tree among them lets go of its file descriptor.
  if (options.early && !early) void options.early.savedTree.then((unused) => unused?.tree.close());
  const checkpointReads = early?.checkpoints ?? readCheckpoints(checkpointFile(config));
  const savedTree = await (early?.savedTree ?? savedTreeFor(config)); // before the store is opened
  let store: EventStore;
  let readOnly: string | undefined;
  let dataDir: DataDir | undefined;
  try {
    if (config.EVENTSTORE_CONNECTION_STRING) {
      mkdirSync(config.DATA_DIR, { recursive: true });
      store = await connectWithRetry(
        () => openStore(config),
        config.STORE_CONNECT_TIMEOUT_MS,
        options.onConnectAttempt,
      );
    } else {
      dataDir = options.dataDir ?? checkDataDir(config.DATA_DIR);
      ({ store, readOnly } = openEmbeddedStore(dataDir, logger));
    }
  } catch (error) {
    savedTree?.tree.close(); // no store, no log: the saved tree's file descriptor is let go
    throw error;
  }
  // The log's tree and the projections are made from the store at the same time: on a large store
  // the tree is recomputed on a second thread while this one folds the projections and the book.
  // Nothing is appended before both are done (the writer takes no request until this returns).
  const opening: { log?: LedgerLog | undefined } = {};
  const starting = startLedger(store, {
    checkpointFile: checkpointFile(config),
    checkpointReads,
    storeTimeoutMs: config.STORE_TIMEOUT_MS,
    ...(readOnly ? { readOnly } : {}),
    ...(dataDir ? { dataDir: dataDir.dir } : {}),
    ...(logger ? { logger } : {}),
    afterAppend: (events) => opening.log?.afterAppend(events) ?? Promise.resolve(),
  });
  const [opened, caughtUp] = await Promise.allSettled([
    openLogUnlessReadOnly(store, config, logger, readOnly, savedTree, [
      starting,
      ...(options.checkAfter ? [options.checkAfter] : []),
    ]),
    starting,
  ]);
  if (opened.status === 'rejected' || caughtUp.status === 'rejected') {
    // One failed: what the other opened is closed before the failure is reported.
    if (opened.status === 'fulfilled') await opened.value?.close().catch(() => undefined);
    if (caughtUp.status === 'fulfilled') await caughtUp.value.close().catch(() => undefined);
    throw opened.status === 'rejected' ? opened.reason : (caughtUp as PromiseRejectedResult).reason;
  }
  const log = (opening.log = opened.value);
  const started = caughtUp.value;
  const ledger: Ledger = log
    ? {
        ...started,
        log,
        // The saved tree is a cache: one that cannot be written (a full disk) only makes the next start slower.
        // The background check of a saved tree stops before the store closes under it.
        close: () => {
          // Closed once: between the store's close and the checkpoints, or after a close that failed before.
          let logClosed: Promise<void> | undefined;
          const closeLog = () =>
            (logClosed ??= log
              .close()
              .catch((error: unknown) =>
                logger?.warn(
                  { err: error instanceof Error ? error.message : String(error) },
                  'the log tree was not saved: the next start recomputes it',
                ),
              ));
          return log
            .stopChecking()
            .then(() => started.close(closeLog))
            .finally(closeLog);
        },
      }
    : started;
  if (!readOnly && config.SEED_ON_EMPTY && (await store.headPosition()) === 0) {
    const seeded = await seedMissionHistory(ledger);
    logger?.info({ events: seeded.recorded }, 'empty store seeded with the mission history');
  }
  return ledger;
}

const SYNTHETIC_BATCH = 1000;

/**
 * Registrations the store already has are skipped, so synthetic data can sit
 * beside the real history (the writer's book is current between batches).
 */
const alreadyRegistered = (writer: LedgerWriter, event: IncomingEvent) =>
  (event.type === 'PartyRegistered' && writer.book.parties.has(event.data.partyId)) ||
  (event.type === 'ItemTypeRegistered' && writer.book.itemTypes.has(event.data.itemType));

export async function seedSynthetic(
  writer: LedgerWriter,
  count: number,
  seed: number,
  onProgress?: (n: number) => void,
) {
  let batch: IncomingEvent[] = [];
  let recorded = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const result = await writer.submit({ proposals: batch.map(toProposal), recordedBy: 'seed:synthetic' });
    recorded += result.events.length;
    batch = [];
    onProgress?.(recorded);
  };
  const { syntheticHistory } = await import('../seeds/synthetic.js');
  for (const event of syntheticHistory(count, { seed })) {
    if (alreadyRegistered(writer, event)) continue;
    batch.push(event);
    if (batch.length >= SYNTHETIC_BATCH) await flush();
  }
  await flush();
  return recorded;
}
