/**
 * The SHA-256 of a checkpoint's body, taken on a second thread while the main
 * thread deserialises the same bytes: on a million events the projections'
 * checkpoint is 114 MB, whose digest costs the main thread about 100 ms of a
 * 1.4 s restart. The bytes are shared (a SharedArrayBuffer), never copied.
 * The state is used only once the digest matches (see checkpoint.ts).
 *
 * A thread that cannot start, fails, exits without an answer or takes too
 * long costs only time: the digest is then taken on the main thread.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

// Plain CommonJS, evaluated: no file to find once built, and no loader hooks (tsx) to start.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
for (const { buffer, offset, length } of workerData) hash.update(new Uint8Array(buffer, offset, length));
parentPort.postMessage(hash.digest('hex'));
`;

/** The file operations readInto uses (those of `fs.promises`' FileHandle); a test passes ones that read short. */
export interface ReadableFile {
  stat(): Promise<{ size: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/**
 * Memory of its own for `size` bytes: shared with other threads (for a digest taken there, see
 * checkpoint.ts) or not. A checkpoint's parts are read into it on the thread pool (readInto), so
 * this thread goes on meanwhile.
 */
export const allocate = (size: number, shared: boolean): Buffer =>
  shared ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.allocUnsafeSlow(size);

/**
 * Fills `bytes` from the file at `position`, however short each read; returns how many bytes it got,
 * fewer only when the file ends first (shorter than it was a moment ago: the caller's length check
 * will say so).
 */
export async function readInto(handle: ReadableFile, bytes: Uint8Array, position: number): Promise<number> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesRead } = await handle.read(bytes, offset, bytes.length - offset, position + offset);
    if (bytesRead === 0) break;
    offset += bytesRead;
  }
  return offset;
}

const exiting = new Set<Promise<void>>();

/**
 * Resolves once every digest thread has exited. Each holds the bytes it hashed until then, so a
 * collection meant to return a restore's garbage to the system (serve.ts) waits for this first.
 */
export async function digestThreadsGone(): Promise<void> {
  while (exiting.size > 0) await Promise.all(exiting);
}

export interface DigestThreadOptions {
  /** Starts the thread; tests pass one that fails. */
  startWorker?: (source: string, workerData: unknown) => Worker;
  /**
   * How long the thread may take before it is stopped and the digest taken here: a start must
   * never hang on it. Default 60 s (it hashes about 1 GB a second; the largest checkpoint, at ten
   * million events, is 1.3 GB).
   */
  answerWithinMs?: number;
}

const ANSWER_WITHIN_MS = 60_000;

const startEvalWorker = (source: string, workerData: unknown) =>
  new Worker(source, { eval: true, workerData, execArgv: [] });

/** A digest, and whether the second thread took it or this one did. */
export interface Digest {
  hex: string;
  thread: 'second' | 'this';
}

/** The SHA-256 of `bytes` (one piece, or several taken in order), from a second thread when they are all shared memory, else from this one. */
export function sha256OffThread(
  bytes: Uint8Array | readonly Uint8Array[],
  options: DigestThreadOptions = {},
): Promise<Digest> {
  const parts = Array.isArray(bytes) ? (bytes as readonly Uint8Array[]) : [bytes as Uint8Array];
  const here = () => {
    const hash = createHash('sha256');
    for (const part of parts) hash.update(part);
    return hash.digest('hex');
  };
  if (!parts.every((part) => part.buffer instanceof SharedArrayBuffer))
    return Promise.resolve({ hex: here(), thread: 'this' });
  return new Promise((resolve) => {
    let settled = false;
    const waiting: { timer?: NodeJS.Timeout } = {};
    const onThisThread = () => {
      if (settled) return;
      settled = true;
      clearTimeout(waiting.timer);
      resolve({ hex: here(), thread: 'this' });
    };
    let worker: Worker;
    try {
      worker = (options.startWorker ?? startEvalWorker)(
        WORKER,
        parts.map((part) => ({ buffer: part.buffer, offset: part.byteOffset, length: part.byteLength })),
      );
    } catch {
      return onThisThread();
    }
    // Until it has exited, the thread holds the shared bytes: see digestThreadsGone.
    const gone: Promise<void> = new Promise<void>((exited) => worker.once('exit', () => exited())).then(() => {
      exiting.delete(gone);
    });
    exiting.add(gone);
    waiting.timer = setTimeout(() => {
      void worker.terminate().catch(() => undefined);
      onThisThread();
    }, options.answerWithinMs ?? ANSWER_WITHIN_MS);
    worker.once('message', (digest: unknown) => {
      if (settled) return;
      if (typeof digest !== 'string') return onThisThread();
      settled = true;
      clearTimeout(waiting.timer);
      resolve({ hex: digest, thread: 'second' });
    });
    worker.once('error', onThisThread);
    worker.once('exit', onThisThread);
  });
}
