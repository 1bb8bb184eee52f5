/**
 * A long catch-up from zero on a store file shares the fold between two threads: a fold of a
 * million events is CPU-bound, and the machine has more than one core.
 *
 * The split is by event type. Transfers, seizures, expenditures, donations and pledges are most of
 * any history, and their sums need nothing but the event itself and the catalog: no shipment's
 * state, no other event. A worker thread (sums-worker.ts) reads only those (and the registrations,
 * for its catalog) through a read-only connection of its own, folds their sums and notes when each
 * was recorded. The main thread reads every other event, and those of the worker's whose lines
 * carry serials (for custody), and folds all the rest. The worker's facts and recording times are
 * then merged, by position, into the main thread's, which end up as if one thread had folded the
 * whole log.
 */
import { Worker } from 'node:worker_threads';
import type { TimeIndexExport, TimeIndexOptions } from '../../projections/time-index/time-index.js';
import type { FoldMark, FoldReadFilter } from '../store/port.js';
import { workerEntry } from '../worker-entry.js';
import type { RecordingTimesExport } from './recording-times.js';
import type { SumName } from './sums.js';

/** The event types whose sums a worker thread folds. */
export const SELF_CONTAINED_TYPES: ReadonlySet<string> = new Set([
  'MaterielTransferred',
  'MaterielSeized',
  'MaterielExpended',
  'DonationReceived',
  'DonationPledged',
]);

/** What the worker reads: its types, and the registrations its catalog is made of. */
export const WORKER_READS: FoldReadFilter = {
  only: [...SELF_CONTAINED_TYPES, 'PartyRegistered', 'ItemTypeRegistered'],
};

/**
 * What the main thread reads: every event but the worker's, and those of the worker's whose stored
 * text has a `"serials"` key (JSON escapes a quote inside a string, so only a key matches).
 */
export const MAIN_MARK: FoldMark = { types: [...SELF_CONTAINED_TYPES], unlessContains: '"serials"' };
export const MAIN_READS: FoldReadFilter = { except: MAIN_MARK };

export interface SumsJob {
  file: string;
  /** Fold up to this position, inclusive; the main thread's subscription folds what comes after. */
  head: number;
  index: TimeIndexOptions;
}

export interface SumsResult {
  /** Each sum's facts, recorded in bulk and not yet ordered: for TimeIndex.mergeBulk. */
  indexes: Record<SumName, TimeIndexExport>;
  /** When the worker's events were recorded. */
  recorded: RecordingTimesExport;
}

/** The buffers of every typed array in `value`, once each: moved with a message instead of copied. */
export function transferablesOf(value: unknown, found = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
  } else if (Array.isArray(value)) for (const item of value) transferablesOf(item, found);
  else if (typeof value === 'object' && value !== null)
    for (const item of Object.values(value)) transferablesOf(item, found);
  return [...found];
}

const startWorker = (job: SumsJob) => {
  const { entry, eval: isScript } = workerEntry('sums-worker', import.meta.url);
  return new Worker(entry, { eval: isScript, workerData: job });
};

/**
 * Folds the sums of the self-contained events in (0, head] in a worker thread. A thread rather than
 * a process: its answer's columns are moved, not copied, and it starts sooner. What it allocated
 * stays with this process's allocator once it exits (glibc keeps a thread's arena): a few tens of
 * MB on a million events, measured within the service's memory figure. A failed worker fails the
 * catch-up: the main thread's share alone is not the projections.
 */
export function foldSumsAside(job: SumsJob): Promise<SumsResult> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(job);
    let result: SumsResult | undefined;
    worker.once('message', (message: SumsResult) => (result = message));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`the worker folding the sums stopped (exit code ${code}) without an answer`));
    });
  });
}
