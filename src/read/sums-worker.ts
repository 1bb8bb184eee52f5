/**
 * The worker thread's share of a long catch-up (see split-fold.ts): the sums of the self-contained
 * events, from a read-only connection of its own to the store file. It posts each sum's facts back
 * as plain data, each column as its own chunks, moved to the main thread: neither copied into one
 * array first (at 1M events that copy was 40 MB of the rebuild's peak) nor copied in the move.
 */
import { parentPort, workerData } from 'node:worker_threads';
// Straight from their modules, not events/index.js: the worker then never loads zod, and starts sooner.
import { instantParser } from '../../events/instant.js';
import { upcast } from '../../events/upcast.js';
import { emptyCatalog, evolveCatalog } from '../../projections/catalog.js';
import { TimeIndex } from '../../projections/time-index/time-index.js';
import { LEDGER_STREAM } from '../ledger/book.js';
import type { ShipmentLookup } from '../../events/postings.js';
import { openSqliteStore } from '../store/sqlite.js';
import { catchUp } from './catch-up.js';
import { RecordingTimes } from './recording-times.js';
import { SELF_CONTAINED_TYPES, transferablesOf, WORKER_READS, type SumsJob, type SumsResult } from './split-fold.js';
import { occurredOf, sumDeltas, SUMS } from './sums.js';

const job = workerData as SumsJob;
const noShipments: ShipmentLookup = (id) => {
  throw new Error(`a self-contained event looked up shipment ${id}: it must not be folded apart from the log`);
};

const store = openSqliteStore({ file: job.file, readonly: true });
try {
  const catalog = emptyCatalog();
  const indexes = {
    inventory: new TimeIndex(job.index),
    personnel: new TimeIndex(job.index),
    donors: new TimeIndex(job.index),
  };
  for (const name of SUMS) indexes[name].beginBulk();
  const recording = new RecordingTimes();
  const recordedTime = instantParser();
  const occurredTime = instantParser();
  await catchUp(
    store,
    0,
    job.head,
    (recorded) => {
      if (!SELF_CONTAINED_TYPES.has(recorded.type)) {
        if (recorded.stream === LEDGER_STREAM) evolveCatalog(catalog, upcast(recorded)); // a registration
        return;
      }
      // The main thread reads none of these types (but those with serials): their times come from here.
      const recordedAt = recordedTime(recorded.recordedAt);
      recording.note(recordedAt, recorded.globalPosition);
      if (recorded.stream !== LEDGER_STREAM) return;
      const event = upcast(recorded);
      const occurred = occurredTime(occurredOf(event));
      for (const name of SUMS) {
        const deltas = sumDeltas(name, event, noShipments, catalog);
        if (deltas.length > 0)
          indexes[name].add({ occurred, recorded: recordedAt, position: event.globalPosition, deltas });
      }
    },
    WORKER_READS,
  );
  const result: SumsResult = {
    indexes: {
      inventory: indexes.inventory.export(true),
      personnel: indexes.personnel.export(true),
      donors: indexes.donors.export(true),
    },
    recorded: recording.export(),
  };
  parentPort!.postMessage(result, transferablesOf(result));
} finally {
  await store.close();
}
