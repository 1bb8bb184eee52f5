/**
 * The files a restart reads first: the projections' and the book's checkpoints and the log's saved
 * tree (195 MB at 1M events). main.ts starts them before the service's modules load, so the thread
 * pool reads them while this thread loads the modules (about half a second), instead of after.
 * Only light modules are imported here: node's own, the checkpoint and tree files' readers.
 *
 * They are of the embedded store in DATA_DIR as the environment names it, before the configuration
 * is checked; the start uses them only if the configuration names the same directory (a mistaken
 * DATA_DIR, or EventStoreDB, and they are left unread). Reading never rejects: a missing or damaged
 * file is an answer for the start to give, in its own words, when it comes to it.
 */
import path from 'node:path';
import type { Config } from './config.js';
import { checkpointFileIn, readCheckpoints, type CheckpointReads } from './read/checkpoint-files.js';
import { savedTreeIn, type SavedTree } from './log/tree-file.js';
import { DEFAULT_DATA_DIR } from './store/data-dir.js';

export interface EarlyReads {
  dataDir: string;
  checkpoints: CheckpointReads;
  savedTree: Promise<SavedTree | undefined>;
}

export function startEarlyReads(env: NodeJS.ProcessEnv): EarlyReads | undefined {
  if (env.EVENTSTORE_CONNECTION_STRING) return undefined;
  const dataDir = env.DATA_DIR || DEFAULT_DATA_DIR;
  return {
    dataDir,
    checkpoints: readCheckpoints(checkpointFileIn(dataDir)),
    savedTree: savedTreeIn(dataDir).catch(() => undefined),
  };
}

/** The early reads, if they are of the store the configuration names; else none, and the start reads afresh. */
export function earlyReadsFor(
  early: EarlyReads | undefined,
  config: Pick<Config, 'DATA_DIR' | 'EVENTSTORE_CONNECTION_STRING'>,
): EarlyReads | undefined {
  if (!early || config.EVENTSTORE_CONNECTION_STRING) return undefined;
  return path.resolve(early.dataDir) === path.resolve(config.DATA_DIR) ? early : undefined;
}
