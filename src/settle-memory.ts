import v8 from 'node:v8';
import { BULK_CATCH_UP } from './read/projector.js';

/** The collector and V8's flags, passed in by tests. */
export interface SettleOptions {
  /** Node's `gc` (with --expose-gc) by default. */
  gc?: (() => void) | undefined;
  setFlags?: (flags: string) => void;
}

/**
 * One full collection once the service listens (serve.ts): catching up, or restoring a checkpoint
 * (whose file is read whole), leaves hundreds of MB of garbage that an idle service would otherwise
 * keep resident until V8's memory reducer gets to it many seconds later. It runs after the listen,
 * not before: at 1M events it is 0.09 s that a restart no longer waits for. After a long catch-up
 * it also compacts the heap, whose pages the fold fragmented. After a restore it does not: at 1M events compacting cost
 * 0.21-0.24 s of a 2 s restart and left RSS where it was (428-438 MB with, 433-437 MB without).
 * The start scripts pass --expose-gc; without it this is skipped.
 */
export function settleMemory(
  foldedAtStart: number,
  options: SettleOptions = {},
): 'compacted' | 'collected' | 'skipped' {
  // An explicit `gc: undefined` means none, not the default.
  const gc = 'gc' in options ? options.gc : (globalThis as { gc?: () => void }).gc;
  const setFlags = options.setFlags ?? v8.setFlagsFromString;
  if (!gc) return 'skipped';
  if (foldedAtStart < BULK_CATCH_UP) {
    gc();
    return 'collected';
  }
  setFlags('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlags('--no-compact-on-every-full-gc');
  }
  return 'compacted';
}
