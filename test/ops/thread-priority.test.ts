/**
 * The log's background check after a restart runs on a thread whose nice value is raised, so the
 * requests the service answers meanwhile come first; the tree a first start waits for runs at a
 * nice value raised less, so the main thread's fold, which the start waits for longer, comes first.
 * Linux only: elsewhere a thread has no nice value of its own, and the check runs as before.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import t, { type Test } from 'tap';
import { compareWithStoreOffThread, recomputeTree, recomputeTreeOffThread } from '../../src/log/tree-of-store.js';
import { AWAITED_TREE_NICE, BACKGROUND_NICE, lowerThreadPriority, osThreadId } from '../../src/thread-priority.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { events } from '../store/contract.js';
import { tempDir } from '../log/support.js';

// Nothing to see where a thread has no nice value of its own, or where this process already runs
// at a lower priority already (a CI job started with `nice`, say): every thread would show it.
const skip =
  osThreadId() === undefined
    ? 'not Linux: a thread has no nice value of its own'
    : os.getPriority(process.pid) >= AWAITED_TREE_NICE
      ? `this process already runs at nice ${os.getPriority(process.pid)}`
      : false;

/** The nice value of each thread of this process, by thread id (field 19 of its stat). */
function niceByThread(): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      nice.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // a thread that ended meanwhile
    }
  }
  return nice;
}

async function storeOf(t: Test, n: number) {
  const file = path.join(tempDir(t), 'ledger.sqlite');
  const store = openSqliteStore({ file });
  t.teardown(() => store.close());
  for (let at = 0; at < n; at += 500) await store.append('ledger', events(Math.min(500, n - at)), 'any');
  return { store, file };
}

t.test('a thread raises its own nice value, and only its own', { skip }, async (t) => {
  const before = os.getPriority(process.pid);
  // Registers tsx's hooks first, as src/worker-entry.ts does: a worker does not inherit them on Node 20.
  const tsx = import.meta.resolve('tsx/esm/api');
  const url = new URL('../../src/thread-priority.ts', import.meta.url).href;
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); }).then((m) => {
       const raised = m.lowerThreadPriority();
       const again = m.lowerThreadPriority(5);
       parentPort.postMessage({ tid: m.osThreadId(), raised, again });
       parentPort.once('message', () => process.exit(0));
     });`,
    { eval: true },
  );
  const told = await new Promise<{ tid: number; raised: number; again: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  t.not(told.tid, process.pid, 'the worker has a thread id of its own');
  t.equal(told.raised, BACKGROUND_NICE, 'its nice value is raised');
  t.equal(told.again, told.raised, 'and never lowered again by a smaller one');
  t.equal(niceByThread().get(told.tid), told.raised, 'as the system sees that thread');
  t.equal(os.getPriority(process.pid), before, "the main thread's is unchanged");
  worker.postMessage('done');
  await new Promise((resolve) => worker.once('exit', resolve));
  t.equal(lowerThreadPriority(-1), before, 'asking for a higher priority changes nothing');
});

t.test(
  'the background check of a saved tree runs at the background priority; the tree a start waits for, at one between',
  { skip },
  async (t) => {
    const { store, file } = await storeOf(t, 6000);
    const main = os.getPriority(process.pid);
    // The tree a start waits for: every thread's nice value, looked at every few ms while it is made.
    const polled: number[][] = [];
    const poll = setInterval(() => polled.push([...niceByThread().values()]), 2);
    const built = await recomputeTreeOffThread(store, file, { progressEvery: 1000 });
    clearInterval(poll);
    t.equal(built.thread, 'second');
    t.ok(polled.length > 0, 'the threads were looked at while the tree was made');
    t.ok(
      polled.some((nices) => nices.includes(AWAITED_TREE_NICE)),
      'a thread ran at the priority of an awaited tree while the tree was made',
    );
    t.ok(
      polled.flat().every((nice) => nice === main || nice === AWAITED_TREE_NICE),
      'no thread ran at the background priority, and the rest kept the process’s',
    );
    t.equal(os.getPriority(process.pid), main, "the main thread's is unchanged");

    // The check: asked at each of the worker's progress messages, while the worker is at work.
    const seen: number[][] = [];
    const look = () => {
      seen.push([...niceByThread().values()]);
      return false;
    };
    const { tree } = await recomputeTree(store);
    const compared = await compareWithStoreOffThread(store, file, tree.leafChunks(), tree.size, {
      progressEvery: 1000,
      stop: look,
    });
    t.equal(compared.thread, 'second');
    t.equal(compared.first, -1, 'the store matches the tree');
    t.ok(seen.length > 0, 'the check reported progress');
    t.ok(
      seen.every((nice) => nice.includes(BACKGROUND_NICE)),
      'one thread ran at the background priority throughout the check',
    );
    t.equal(os.getPriority(process.pid), main, "and the main thread's is unchanged");
  },
);
