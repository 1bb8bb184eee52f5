/**
 * The checkpoint files beside the store, by name, and their reads: kept apart from service.ts so that
 * the start can begin these reads before the service's modules load (src/early-reads.ts).
 */
import path from 'node:path';
import { readCheckpointFile, type CheckpointBytes } from './checkpoint.js';

/** The projections' checkpoint in a data directory. */
export const checkpointFileIn = (dataDir: string) => path.join(dataDir, 'projections.checkpoint');
/** The writer's book is checkpointed beside the projections, in a file of its own. */
export const bookFile = (file: string) => file.replace(/(\.checkpoint)?$/, '.book.checkpoint');
/** So is a store's id index (EventStoreDB's), with the position it covers. */
export const idIndexFile = (file: string) => file.replace(/(\.checkpoint)?$/, '.ids.checkpoint');

/** The reads of the projections' and the book's checkpoint files. */
export interface CheckpointReads {
  projections: Promise<CheckpointBytes>;
  book: Promise<CheckpointBytes>;
}

/** Starts reading both checkpoint files, on the thread pool, at once. */
export const readCheckpoints = (file: string): CheckpointReads => ({
  projections: readCheckpointFile(file),
  book: readCheckpointFile(bookFile(file)),
});
