/** Opens the verifiable log beside a store, as configured. */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { EventStore } from '../store/port.js';
import {
  eventStoreDbCheckpoints,
  memoryCheckpoints,
  sqliteCheckpoints,
  type CheckpointStorage,
} from './checkpoints.js';
import { loadSigner, parseWitnessKeys } from './keys.js';
import { LedgerLog } from './ledger-log.js';

/** The store's own file, or EventStoreDB's stream (checkpoints.ts); memory for a `:memory:` store. */
export const checkpointStorageFor = async (
  store: EventStore,
  connectionString?: string,
): Promise<CheckpointStorage> => {
  if (store.file && store.file !== ':memory:') return sqliteCheckpoints(store.file);
  if (connectionString) return eventStoreDbCheckpoints(connectionString);
  return memoryCheckpoints();
};

/** The saved tree beside the store's file. */
export const treeFileFor = (storeFile: string) => path.join(path.dirname(storeFile), 'log.tree');

export async function openLog(
  store: EventStore,
  config: Pick<Config, 'NODE_ENV' | 'DATA_DIR' | 'SIGNING_KEY_FILE' | 'WITNESS_KEYS' | 'EVENTSTORE_CONNECTION_STRING'>,
  logger?: Logger,
  clock?: () => Date,
): Promise<LedgerLog> {
  const signer = loadSigner(config, (message) => process.stderr.write(`\n${message}\n`));
  const log = await LedgerLog.open(store, {
    signer,
    storage: await checkpointStorageFor(store, config.EVENTSTORE_CONNECTION_STRING),
    witnesses: parseWitnessKeys(config.WITNESS_KEYS),
    ...(store.file && store.file !== ':memory:' ? { treeFile: treeFileFor(store.file) } : {}),
    ...(clock ? { clock } : {}),
  });
  const problems = log.problems();
  if (problems.length > 0) logger?.error({ log: log.status.state, problems }, 'the verifiable log is not verified');
  else
    logger?.info({ treeSize: log.tree.size, checkpoints: log.where }, 'verifiable log checked against its checkpoints');
  return log;
}
