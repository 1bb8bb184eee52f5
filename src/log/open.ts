/** Opens the verifiable log beside a store, as configured. */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { EventStore } from '../store/port.js';
import type { SqliteEventStore } from '../store/sqlite.js';
import {
  eventStoreDbCheckpoints,
  memoryCheckpoints,
  readOnlyCheckpoints,
  sqliteCheckpoints,
  type CheckpointStorage,
} from './checkpoints.js';
import { loadSigner, parseWitnessKeys } from './keys.js';
import { LedgerLog, type LedgerLogOptions } from './ledger-log.js';
import { savedTreeIn, treeFileFor } from './tree-file.js';

const isSnapshot = (store: EventStore): store is SqliteEventStore & { snapshotOf: string } =>
  typeof (store as Partial<SqliteEventStore>).snapshotOf === 'string';

/**
 * The store's own file, or EventStoreDB's stream (checkpoints.ts); memory for a `:memory:` store.
 * A store read into memory from a read-only mount keeps the checkpoints its file holds, read-only.
 */
export const checkpointStorageFor = async (
  store: EventStore,
  connectionString?: string,
): Promise<CheckpointStorage> => {
  if (isSnapshot(store))
    return readOnlyCheckpoints(
      `table log_checkpoints in a read-only copy of ${store.snapshotOf}`,
      store.checkpointTables(),
    );
  if (store.file && store.file !== ':memory:') return sqliteCheckpoints(store.file);
  if (connectionString) return eventStoreDbCheckpoints(connectionString);
  return memoryCheckpoints();
};

/** The tree saved at the last clean stop beside the embedded store (`savedTreeIn`); none for EventStoreDB. */
export async function savedTreeFor(config: Pick<Config, 'DATA_DIR' | 'EVENTSTORE_CONNECTION_STRING'>) {
  if (config.EVENTSTORE_CONNECTION_STRING) return undefined;
  return savedTreeIn(config.DATA_DIR);
}

export async function openLog(
  store: EventStore,
  config: Pick<Config, 'NODE_ENV' | 'DATA_DIR' | 'SIGNING_KEY_FILE' | 'WITNESS_KEYS' | 'EVENTSTORE_CONNECTION_STRING'>,
  logger?: Logger,
  clock?: () => Date,
  savedTree?: Awaited<ReturnType<typeof savedTreeFor>>,
  more: Pick<LedgerLogOptions, 'treeThread'> & {
    /**
     * The background check of a saved tree starts once all of these settle: a restart hands it the
     * projections' restore and the service's listening, so neither the check's copy of the leaves
     * nor its thread competes for the CPU with what the service needs to be ready. A stop asked
     * for first (stopChecking) ends the wait, and the check does not run.
     */
    checkAfter?: Promise<unknown>[];
  } = {},
): Promise<LedgerLog> {
  let log: LedgerLog;
  try {
    const signer = loadSigner(config, (message) => process.stderr.write(`\n${message}\n`));
    log = await LedgerLog.open(store, {
      signer,
      storage: await checkpointStorageFor(store, config.EVENTSTORE_CONNECTION_STRING),
      witnesses: parseWitnessKeys(config.WITNESS_KEYS),
      ...(store.file && store.file !== ':memory:' ? { treeFile: treeFileFor(store.file) } : {}),
      savedTree,
      ...(clock ? { clock } : {}),
      ...(more.treeThread ? { treeThread: more.treeThread } : {}),
      onTreeThreadFallback: (why) =>
        logger?.warn({ why }, 'the log tree is recomputed on the main thread: its second thread was given up'),
    });
  } catch (error) {
    savedTree?.tree.close(); // a log that does not open lets go of the saved tree's file descriptor
    throw error;
  }
  // A saved tree is a cache: every leaf is recomputed from the store in the background after start.
  if (log.source === 'saved-tree')
    log.background = Promise.race([Promise.all(more.checkAfter ?? []), log.stopRequested])
      .then(
        () => log.verifyAgainstStore(),
        () => log.status, // the start failed, and its caller closes the log: nothing to check
      )
      .then(
        (status) => {
          if (status.state === 'tampered')
            logger?.error({ problems: log.problems() }, 'the store differs from the saved tree');
        },
        (error: unknown) => logger?.warn({ err: error }, 'the background check of the saved tree stopped'),
      );
  const problems = log.problems();
  if (problems.length > 0) logger?.error({ log: log.status.state, problems }, 'the verifiable log is not verified');
  else
    logger?.info(
      { treeSize: log.tree.size, tree: log.source, checkpoints: log.where },
      'verifiable log checked against its checkpoints',
    );
  return log;
}
