/**
 * The tree worker's body (tree-of-store.ts): every event of the store file, read by position
 * through a read-only connection of its own, folded into the log's tree by the same TreeBuilder the
 * main thread uses, then the tree's levels and positions posted back; or, given a tree's leaves,
 * compared with them by the same LeafComparer, and where they first differ posted back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { COLUMNS, type RawEventRow } from '../store/sqlite-rows.js';
import {
  LeafComparer,
  READ_PAGE,
  STOP,
  TreeBuilder,
  type TreeWorkerData,
  type TreeWorkerMessage,
} from './tree-of-store.js';
import { AWAITED_TREE_NICE, BACKGROUND_NICE, lowerThreadPriority } from '../thread-priority.js';
import { LeafPositions } from './leaf-positions.js';

const { file, stop, progressEvery, compare } = workerData as TreeWorkerData;
// A comparison is the background check after a restart: the service answers requests meanwhile, and
// they come first. A tree made at a first start is awaited, but the main thread's fold is awaited
// longer: it comes first too, by less (src/thread-priority.ts).
lowerThreadPriority(compare ? BACKGROUND_NICE : AWAITED_TREE_NICE);
const post = (message: TreeWorkerMessage, moved: ArrayBuffer[] = []) => parentPort?.postMessage(message, moved);

try {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const page = db.prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`).raw(true);
    const builder = compare ? undefined : new TreeBuilder();
    const comparer = compare ? new LeafComparer(compare.leaves, compare.count) : undefined;
    let after = 0;
    let sinceProgress = 0;
    for (let going = true; going;) {
      const rows = page.all(after, READ_PAGE) as RawEventRow[];
      for (const row of rows) {
        if (builder) builder.addRow(row);
        else if (!(going = comparer!.addRow(row))) break;
      }
      if (rows.length > 0) after = rows[rows.length - 1]![0];
      if (rows.length < READ_PAGE) break;
      sinceProgress += rows.length;
      if (sinceProgress >= progressEvery) {
        sinceProgress = 0;
        post({ progress: after });
      }
      // Only a comparison is ever stopped (a check at close): a tree made part way is no tree.
      if (comparer && Atomics.load(stop, STOP) === 1) break;
    }
    if (comparer) post({ compared: comparer.result });
    else {
      // Moved, not copied: at ten million events the levels are 640 MB.
      const levels = builder!.tree.releaseLevels();
      const positions = builder!.positions.release();
      // The leaves are in shared memory already: only the other buffers are moved.
      const moved = [
        ...levels.flatMap((l) => l.chunks.map((chunk) => chunk.buffer)),
        ...LeafPositions.buffers(positions),
      ].filter((buffer): buffer is ArrayBuffer => buffer instanceof ArrayBuffer);
      post({ levels, positions, structural: builder!.structural }, moved);
    }
  } finally {
    db.close();
  }
} catch (error) {
  post({ failed: `it could not read the store: ${error instanceof Error ? error.message : String(error)}` });
}
