/**
 * A background thread's share of the CPU. The log's check of a saved tree after a restart reads and
 * hashes the whole store on a thread of its own (1M events: about 8 s of a core; 10M: minutes). On
 * two cores it took a third of the machine from the requests the service answered meanwhile. With
 * the thread's nice value raised, single POSTs in the 8 s after a restart at 1M went from 3,234-4,241
 * to 4,349-5,933 events/s, p99 from 33-42 to 26-33 ms (by hand, three restarts each, taking turns).
 *
 * On Linux, a thread has a nice value of its own: `setpriority` given a thread's id (which
 * /proc/thread-self names) changes that thread only. Raising it needs no privilege, and the thread
 * still gets the cores whenever the service leaves them idle.
 */
import { readlinkSync } from 'node:fs';
import os from 'node:os';

/** The nice value of a thread whose work can wait for the service's requests. */
export const BACKGROUND_NICE = 10;

/**
 * The nice value of the tree a first start waits for. Its longest path is the main thread's fold of
 * the book and the projections (about 11 s of CPU at 1M events, against the tree thread's 7-8 s and
 * the sums thread's 4 s). On two cores the three threads at one priority share them alike, and the
 * main thread waited for a core. At nice 5 the main thread keeps one, the sums thread takes most of
 * the other until it is done, then the tree thread all of it, and both end about together. A 1M first
 * start by hand, three pairs taking turns: ready in 15.9, 15.5, 15.4 s before; 14.2, 14.4, 13.9 s at
 * nice 5. At nice 10 the tree thread was starved while the sums thread ran and ended last (13.8 and
 * 14.1 s, against 13.2 and 12.9 s at nice 5 in the same two rounds). Where the cores are not all
 * busy, a nice value changes nothing.
 */
export const AWAITED_TREE_NICE = 5;

/**
 * This thread's id as the kernel knows it (Linux), or undefined where /proc/thread-self does not name
 * it. Not `worker_threads.threadId`, which is Node's own numbering of its workers.
 */
export function osThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Raises the calling thread's nice value to at least `nice` (never lowers it), and only that
 * thread's. Returns the value it then has, or undefined where a thread's own cannot be set (not
 * Linux): the work then runs as it did, at the process's priority.
 */
export function lowerThreadPriority(nice = BACKGROUND_NICE): number | undefined {
  const tid = osThreadId();
  if (tid === undefined) return undefined;
  try {
    if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
    return os.getPriority(tid);
  } catch {
    return undefined;
  }
}
