import v8 from 'node:v8';
import { BULK_CATCH_UP } from './read/projector.js';

/** The collector and V8's flags, passed in by tests. */
export interface SettleOptions {
  /** Node's `gc` (with --expose-gc) by default. */
  gc?: (() => void) | undefined;
  setFlags?: (flags: string) => void;
}

/**
 * Catching up, or restoring a checkpoint (whose file is read whole), leaves hundreds of MB of
 * garbage that an idle service would otherwise keep resident until V8's memory reducer gets to it
 * many seconds later. serve.ts settles it in two steps.
 *
 * - `before-listen`: only after a long catch-up (a first start, a rebuild's start), which is
 *   minutes at 10M events. A compacting collection (the fold fragmented the heap), then a plain
 *   one, which finishes the first's sweeping of the array buffers it freed: a 10M first start read
 *   2,869 MB of RSS at its first answer with no collection before the listen, and 2,068 MB with
 *   these two (1.0 s of a 115 s start; the compacting one alone left 2,459 MB). Nothing is done
 *   after a restore: a restart would wait for it.
 * - `after-listen`: one full collection, of what a restore left (0.05–0.1 s at 1M events, that a
 *   restart no longer waits for), or of what the start made since the collections before the listen.
 *   After a restore it does not compact: at 1M events compacting cost 0.21–0.24 s of a 2 s restart
 *   and left RSS where it was (428–438 MB with, 433–437 MB without).
 *
 * The start scripts pass --expose-gc; without it this is skipped.
 */
export function settleMemory(
  foldedAtStart: number,
  when: 'before-listen' | 'after-listen',
  options: SettleOptions = {},
): 'compacted' | 'collected' | 'skipped' {
  // An explicit `gc: undefined` means none, not the default.
  const gc = 'gc' in options ? options.gc : (globalThis as { gc?: () => void }).gc;
  const setFlags = options.setFlags ?? v8.setFlagsFromString;
  if (!gc) return 'skipped';
  if (when === 'after-listen') {
    gc();
    return 'collected';
  }
  if (foldedAtStart < BULK_CATCH_UP) return 'skipped';
  setFlags('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlags('--no-compact-on-every-full-gc');
  }
  gc();
  return 'compacted';
}
