/**
 * A checkpoint's digest taken on a second thread: the same digest as on this
 * one, from the very bytes shared (not copied), and still the right digest
 * when the thread cannot start, fails or goes away without an answer.
 */
import crypto, { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import {
  digestThreadsGone,
  allocate,
  readInto,
  sha256Hex,
  sha256OffThread,
  type Digest,
  type DigestThreadOptions,
  type ReadableFile,
} from '../../src/read/digest-thread.js';

function sharedCopy(bytes: Uint8Array): Buffer {
  const shared = Buffer.from(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  return shared;
}

t.test('a file read into memory of its own, shared or not, holds its bytes however the reads come back', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-ledger-digest-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  /** The whole file read into `allocate`d memory, through `handle` (the real file by default). */
  const readAll = async (file: string, shared: boolean, handle?: ReadableFile) => {
    const opened = handle ?? (await open(file, 'r'));
    try {
      const bytes = allocate((await opened.stat()).size, shared);
      return { bytes, read: await readInto(opened, bytes, 0) };
    } finally {
      if (!handle) await opened.close();
    }
  };
  for (const size of [0, 1, 65_537, 3_000_001]) {
    const file = path.join(dir, `f${size}`);
    const bytes = randomBytes(size);
    writeFileSync(file, bytes);
    const shared = await readAll(file, true);
    t.ok(shared.bytes.buffer instanceof SharedArrayBuffer, `${size} bytes: shared`);
    t.ok(shared.bytes.equals(bytes) && shared.read === size, `${size} bytes: the same bytes`);
    const own = await readAll(file, false);
    t.notOk(own.bytes.buffer instanceof SharedArrayBuffer, `${size} bytes: or in a buffer of its own`);
    t.ok(own.bytes.equals(bytes) && own.read === size, `${size} bytes: the same bytes there too`);
  }
  // Reads that come back short, as they may: the rest is read where the last one stopped.
  const file = path.join(dir, 'short');
  const bytes = randomBytes(10_000);
  writeFileSync(file, bytes);
  /** The real file, with its reads changed by `read`. */
  const opening = async (
    read: (handle: FileHandle, ...args: [Uint8Array, number, number, number]) => Promise<{ bytesRead: number }>,
  ): Promise<ReadableFile & { handle: FileHandle }> => {
    const handle = await open(file, 'r');
    t.teardown(() => handle.close());
    return { handle, stat: () => handle.stat(), read: (...args) => read(handle, ...args), close: () => handle.close() };
  };
  const shortReads = await opening((handle, buffer, offset, length, position) =>
    handle.read(buffer, offset, Math.min(length, 999), position),
  );
  const whole = await readAll(file, true, shortReads);
  t.ok(whole.bytes.equals(bytes) && whole.read === 10_000, 'short reads: every byte, in place');
  // A file that ends before the size it had when opened: what there is, and how much, not zeros after it.
  const shrinking = await opening((handle, buffer, offset, length, position) =>
    position >= 4_000
      ? Promise.resolve({ bytesRead: 0 })
      : handle.read(buffer, offset, Math.min(length, 4_000 - position), position),
  );
  const part = await readAll(file, true, shrinking);
  t.equal(part.read, 4_000, 'a file that came up short: 4,000 bytes read');
  t.ok(part.bytes.subarray(0, 4_000).equals(bytes.subarray(0, 4_000)), 'its first 4,000 bytes');
  const failing = await opening(() => Promise.reject(new Error('EIO')));
  await t.rejects(readAll(file, true, failing), /EIO/, 'a read that fails rejects');
  // From a position: the bytes from there on.
  const tail = Buffer.alloc(1_000);
  const handle = await open(file, 'r');
  t.equal(await readInto(handle, tail, 9_000), 1_000);
  await handle.close();
  t.ok(tail.equals(bytes.subarray(9_000)), 'read from a position');
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
    t.same(await sha256OffThread(part), { hex: sha256Hex(part), thread: 'second' }, `bytes ${start}..${end}`);
  }
  const unshared = randomBytes(1000);
  t.same(await sha256OffThread(unshared), { hex: sha256Hex(unshared), thread: 'this' }, 'memory not shared: here');

  // Several parts (a checkpoint's objects and arrays): the digest of them one after the other.
  const [first, second] = [sharedCopy(randomBytes(70_001)), sharedCopy(randomBytes(33))];
  const whole = sha256Hex(Buffer.concat([first, second]));
  t.same(await sha256OffThread([first, second]), { hex: whole, thread: 'second' }, 'parts, shared: there');
  t.same(await sha256OffThread([first, Buffer.from(second)]), { hex: whole, thread: 'this' }, 'one not shared: here');
  t.same(await sha256OffThread([first.subarray(0, 0), second]), { hex: sha256Hex(second), thread: 'second' });
});

t.test('a thread that cannot start, fails or goes without an answer: the digest is taken here', async (t) => {
  const bytes = sharedCopy(randomBytes(200_000));
  const expected = { hex: sha256Hex(bytes), thread: 'this' };
  const started: string[] = [];
  const worker = (source: string) => (_: string, workerData: unknown) => {
    started.push(source);
    return new Worker(source, { eval: true, workerData, execArgv: [] });
  };
  t.same(
    await sha256OffThread(bytes, {
      startWorker: () => {
        throw new Error('no more threads');
      },
    }),
    expected,
    'cannot start',
  );
  t.same(await sha256OffThread(bytes, { startWorker: worker('throw new Error("broken")') }), expected, 'fails');
  t.same(await sha256OffThread(bytes, { startWorker: worker('process.exit(0)') }), expected, 'exits');
  t.same(
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
  t.same(digest, { hex: sha256Hex(bytes), thread: 'second' }, 'the answer came first');
  t.equal(exited, false, 'while the thread still runs');
  await digestThreadsGone();
  t.equal(exited, true, 'and it has exited once digestThreadsGone resolves');
});

t.test('a thread that never answers is stopped, the digest taken here, and the start goes on', async (t) => {
  const bytes = sharedCopy(randomBytes(50_000));
  let exited = false;
  const digest = await sha256OffThread(bytes, {
    answerWithinMs: 200,
    startWorker: (_source, workerData) => {
      const worker = new Worker('setInterval(() => {}, 1000);', { eval: true, workerData, execArgv: [] });
      worker.once('exit', () => (exited = true));
      return worker;
    },
  });
  t.same(digest, { hex: sha256Hex(bytes), thread: 'this' });
  await digestThreadsGone();
  t.equal(exited, true, 'the silent thread was stopped');
});

/**
 * How many SHA-256 digests this thread begins while `run` runs: node:crypto's createHash counted,
 * as every module here imports it (the ESM binding follows the CommonJS export once synced).
 */
async function digestsHere(run: () => Promise<unknown>): Promise<number> {
  const real = crypto.createHash;
  let begun = 0;
  crypto.createHash = ((...args: Parameters<typeof real>) => {
    begun++;
    return real(...args);
  }) as typeof real;
  syncBuiltinESMExports();
  try {
    await run();
    return begun;
  } finally {
    crypto.createHash = real;
    syncBuiltinESMExports();
  }
}

// The second thread is there to spare this one the digest (about 100 ms of a restart at a million
// events): its exit, which always follows its answer, must not take the digest here as well; nor may
// a thread that failed, and then exits, have it taken here twice.
t.test('a digest is taken once: never again here once the thread that took it (or failed) exits', async (t) => {
  const bytes = sharedCopy(randomBytes(100_000));
  const hex = sha256Hex(bytes);
  const worker = (source: string) => (_: string, workerData: unknown) =>
    new Worker(source, { eval: true, workerData, execArgv: [] });
  const cases: [string, DigestThreadOptions, Digest['thread'], number][] = [
    ['the second thread answers, then exits', {}, 'second', 0],
    ['the thread fails (an error, then its exit)', { startWorker: worker('throw new Error("broken")') }, 'this', 1],
    ['the thread exits without an answer', { startWorker: worker('process.exit(0)') }, 'this', 1],
    // Stopped when 1 ms has passed without an answer, then its exit: it never answers, so the time does not matter.
    ['the thread never answers', { startWorker: worker('setInterval(() => {}, 1000);'), answerWithinMs: 1 }, 'this', 1],
  ];
  for (const [what, options, thread, here] of cases) {
    let digest: Digest | undefined;
    const begun = await digestsHere(async () => {
      digest = await sha256OffThread(bytes, options);
      await digestThreadsGone();
    });
    t.same(digest, { hex, thread }, `${what}: the digest`);
    t.equal(begun, here, `${what}: taken ${here} time(s) on this thread, the thread's exit included`);
  }
});
