/**
 * A checkpoint's digest taken on a second thread: the same digest as on this
 * one, from the very bytes shared (not copied), and still the right digest
 * when the thread cannot start, fails or goes away without an answer.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { digestThreadsGone, readShared, sha256Hex, sha256OffThread } from '../../src/read/digest-thread.js';

function sharedCopy(bytes: Uint8Array): Buffer {
  const shared = Buffer.from(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  return shared;
}

t.test('a file read into shared memory holds its bytes', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-ledger-digest-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const size of [0, 1, 65_537, 3_000_001]) {
    const file = path.join(dir, `f${size}`);
    const bytes = randomBytes(size);
    writeFileSync(file, bytes);
    const read = readShared(file);
    t.ok(read.buffer instanceof SharedArrayBuffer, `${size} bytes: shared`);
    t.ok(read.equals(bytes), `${size} bytes: the same bytes`);
  }
});

t.test('the second thread gives the digest this thread gives, of the part asked for', async (t) => {
  const bytes = sharedCopy(randomBytes(1_000_003));
  for (const [start, end] of [
    [0, bytes.length],
    [17, bytes.length],
    [5, 900_001],
    [0, 0],
  ] as const) {
    const part = bytes.subarray(start, end);
    t.equal(await sha256OffThread(part), sha256Hex(part), `bytes ${start}..${end}`);
  }
  const unshared = randomBytes(1000);
  t.equal(await sha256OffThread(unshared), sha256Hex(unshared), 'memory not shared: taken here');
});

t.test('a thread that cannot start, fails or goes without an answer: the digest is taken here', async (t) => {
  const bytes = sharedCopy(randomBytes(200_000));
  const expected = sha256Hex(bytes);
  const started: string[] = [];
  const worker = (source: string) => (_: string, workerData: unknown) => {
    started.push(source);
    return new Worker(source, { eval: true, workerData, execArgv: [] });
  };
  t.equal(
    await sha256OffThread(bytes, {
      startWorker: () => {
        throw new Error('no more threads');
      },
    }),
    expected,
    'cannot start',
  );
  t.equal(await sha256OffThread(bytes, { startWorker: worker('throw new Error("broken")') }), expected, 'fails');
  t.equal(await sha256OffThread(bytes, { startWorker: worker('process.exit(0)') }), expected, 'exits');
  t.equal(
    await sha256OffThread(bytes, {
      startWorker: worker('require("node:worker_threads").parentPort.postMessage(42)'),
    }),
    expected,
    'answers something that is not a digest',
  );
  t.equal(started.length, 3, 'each of those threads was started');
});

t.test('digestThreadsGone waits until every thread that hashed has exited', async (t) => {
  const bytes = sharedCopy(randomBytes(100_000));
  let exited = false;
  const digest = await sha256OffThread(bytes, {
    startWorker: (source, workerData) => {
      // Answers, then stays a while: the bytes it holds are not free until it exits.
      const lingering = `${source}\nsetTimeout(() => {}, 300);`;
      const worker = new Worker(lingering, { eval: true, workerData, execArgv: [] });
      worker.once('exit', () => (exited = true));
      return worker;
    },
  });
  t.equal(digest, sha256Hex(bytes), 'the answer came first');
  t.equal(exited, false, 'while the thread still runs');
  await digestThreadsGone();
  t.equal(exited, true, 'and it has exited once digestThreadsGone resolves');
});
