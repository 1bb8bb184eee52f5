/**
 * Opens the ledger: the store chosen by configuration, the writer and the
 * projector on top of it, and the mission's history on an empty store.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { missionHistory } from '../seeds/mission-history.js';
import type { IncomingEvent } from '../events/index.js';
import { syntheticHistory } from '../seeds/synthetic.js';
import type { Config } from './config.js';
import { toProposal } from './http/routes/events.js';
import type { Book } from './ledger/book.js';
import { LedgerWriter, type WriterOptions } from './ledger/writer.js';
import type { LedgerLog } from './log/ledger-log.js';
import { openLog, savedTreeFor } from './log/open.js';
import { loadCheckpoint, saveCheckpoint } from './read/checkpoint.js';
import { internStrings } from './read/intern.js';
import { Projector, type ProjectorExport } from './read/projector.js';
import type { EventStore } from './store/port.js';
import { openSqliteStore } from './store/sqlite.js';

export interface Ledger {
  store: EventStore;
  writer: LedgerWriter;
  projector: Projector;
  /** The verifiable log (Merkle tree and signed checkpoints), when the service runs one. */
  log?: LedgerLog;
  close(): Promise<void>;
}

export async function openStore(
  config: Pick<Config, 'DATA_DIR' | 'EVENTSTORE_CONNECTION_STRING'>,
): Promise<EventStore> {
  if (config.EVENTSTORE_CONNECTION_STRING) {
    const { openEventStoreDbStore } = await import('./store/eventstoredb.js');
    return openEventStoreDbStore({ connectionString: config.EVENTSTORE_CONNECTION_STRING });
  }
  mkdirSync(config.DATA_DIR, { recursive: true });
  return openSqliteStore({ file: path.join(config.DATA_DIR, 'ledger.sqlite') });
}

export const checkpointFile = (config: Pick<Config, 'DATA_DIR'>) =>
  path.join(config.DATA_DIR, 'projections.checkpoint');
const PROJECTOR_CHECKPOINT = 'projector';
const BOOK_CHECKPOINT = 'book';
/** The writer's book is checkpointed beside the projections, in a file of its own. */
const bookFile = (file: string) => file.replace(/(\.checkpoint)?$/, '.book.checkpoint');

export const saveProjectorCheckpoint = (file: string, projector: Projector, store: EventStore) =>
  saveCheckpoint(file, PROJECTOR_CHECKPOINT, projector.state.position, projector.export(), store);

const saveBookCheckpoint = (file: string, writer: LedgerWriter, store: EventStore) =>
  saveCheckpoint(bookFile(file), BOOK_CHECKPOINT, writer.book.position, writer.book, store);

export interface StartOptions {
  clock?: () => Date;
  /** Where the projections' checkpoint lives; without one every start replays the log. */
  checkpointFile?: string;
  /** The verifiable log's hook: signs each write group before it is acknowledged (src/log). */
  afterAppend?: WriterOptions['afterAppend'];
}

/** Starts writer and projector on a store; both have caught up when this resolves. */
export async function startLedger(store: EventStore, options: StartOptions = {}): Promise<Ledger> {
  const writer = new LedgerWriter(store, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.afterAppend ? { afterAppend: options.afterAppend } : {}),
  });
  const projector = new Projector(store);
  const file = options.checkpointFile;
  if (file) {
    // Both share their names and ids: the projections and the book, as restored, share their strings.
    const strings = new Map<string, string>();
    const checkpoint = await loadCheckpoint<ProjectorExport>(file, PROJECTOR_CHECKPOINT, store);
    if (checkpoint) projector.restore(internStrings(checkpoint.state, strings));
    const book = await loadCheckpoint<Book>(bookFile(file), BOOK_CHECKPOINT, store);
    if (book) writer.restore(internStrings(book.state, strings));
  }
  await Promise.all([writer.start(), projector.start()]);
  return {
    store,
    writer,
    projector,
    async close() {
      await writer.close();
      await projector.close();
      // A clean stop leaves a checkpoint: the next start folds only what comes after it.
      if (file) {
        await saveProjectorCheckpoint(file, projector, store);
        await saveBookCheckpoint(file, writer, store);
      }
      await store.close();
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
  history: readonly IncomingEvent[] = missionHistory,
): Promise<{ recorded: number; alreadyRecorded: number }> {
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

export async function openLedger(config: Config, logger?: Logger): Promise<Ledger> {
  const savedTree = await savedTreeFor(config); // before the store is opened: opening it writes
  const store = await openStore(config);
  const log = await openLog(store, config, logger, undefined, savedTree);
  const started = await startLedger(store, { checkpointFile: checkpointFile(config), afterAppend: log.afterAppend });
  const ledger: Ledger = { ...started, log, close: () => started.close().finally(() => log.close()) };
  if (config.SEED_ON_EMPTY && (await store.headPosition()) === 0) {
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
  for (const event of syntheticHistory(count, { seed })) {
    if (alreadyRegistered(writer, event)) continue;
    batch.push(event);
    if (batch.length >= SYNTHETIC_BATCH) await flush();
  }
  await flush();
  return recorded;
}
