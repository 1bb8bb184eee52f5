/**
 * A second thread for the leaves of large batches. A batched event costs the main thread about
 * 30 µs to take in and store; hashing its RFC 8785 line costs 5–8 µs more, a quarter of it.
 * Handed each run of rows' JSON just before the run is inserted, a worker hashes run k while the
 * main thread inserts it and the runs after it, and the seal, which needs every leaf to sign the
 * group's checkpoint before the commit, waits at most for the last run's. Smaller appends are
 * hashed, and every checkpoint is signed, on the main thread: handing the checkpoint of a write group
 * of single events to the worker to sign cost the worker 8–16 µs of CPU an event in waking and
 * messaging, and the main thread its wait, against a signature of about 30 µs a group
 * (docs/performance.md, twenty-second session).
 *
 * The seal runs inside a synchronous SQLite transaction, so the answers are taken synchronously:
 * the worker counts each answer in a shared Int32Array after posting it, the main thread waits on
 * that count (`Atomics.wait`) and then takes the message (`receiveMessageOnPort`). A worker that
 * does not answer in time, fails or exits is given up for good, and the sealer hashes on the main
 * thread as it does for small appends: a slower ledger, never a stuck one.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { StoredAppend } from './leaf.js';
import { workerEntry } from '../worker-entry.js';

/** The index in the shared state of the count of answers posted. */
export const ANSWERED = 0;

/** The leaf hashes of an append (`leafHashesOfStored`), or undefined where they could not be made. */
export type LeafAnswer = string | undefined;

/** How long the seal waits for one answer before it gives the thread up. */
const ANSWER_TIMEOUT_MS = 5000;

export class LeafThread {
  private sent = 0;
  private taken = 0;
  private isReady = false;
  private failure: string | undefined;
  /** Resolves once the worker has loaded and can take appends (or has failed). */
  readonly ready: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly state: Int32Array,
  ) {
    this.ready = new Promise<void>((resolve) => {
      worker.once('message', () => {
        this.isReady = true;
        resolve();
      });
      worker.once('error', (error) => {
        this.giveUp(`it failed: ${error.message}`);
        resolve();
      });
      worker.once('exit', (code) => {
        this.giveUp(`it exited (code ${code})`);
        resolve();
      });
    });
  }

  /** Starts the worker; undefined when no worker can be started here. */
  static start(): LeafThread | undefined {
    try {
      const state = new Int32Array(new SharedArrayBuffer(4));
      const { port1, port2 } = new MessageChannel();
      const { entry, eval: isScript } = workerEntry('leaf-worker', import.meta.url);
      const worker = new Worker(entry, { eval: isScript, workerData: { port: port2, state }, transferList: [port2] });
      worker.unref();
      return new LeafThread(worker, port1, state);
    } catch {
      return undefined;
    }
  }

  /** Whether a job sent now will be done there (else the main thread must do it). */
  get usable(): boolean {
    return this.isReady && this.failure === undefined;
  }

  /** How many appends were sent to it to be hashed. */
  get jobsSent(): number {
    return this.sent;
  }

  /** Why the thread was given up, if it was. */
  get problem(): string | undefined {
    return this.failure;
  }

  /** Sends an append to be hashed; its ticket takes the answer. */
  send(append: StoredAppend): number {
    this.port.postMessage(append);
    return ++this.sent;
  }

  /**
   * The answer to `ticket`, waiting for it; answers to earlier tickets not taken are dropped.
   * Undefined when the job could not be done or the thread was given up.
   */
  take(ticket: number): LeafAnswer {
    let answer: LeafAnswer;
    while (this.taken < ticket) answer = this.next();
    return answer;
  }

  /** Drops every answer not taken: the group they were for was not sealed. */
  drain(): void {
    this.take(this.sent);
  }

  private next(): LeafAnswer {
    this.taken++;
    if (this.failure !== undefined) return undefined;
    for (;;) {
      const answered = Atomics.load(this.state, ANSWERED);
      if (answered >= this.taken) break;
      if (Atomics.wait(this.state, ANSWERED, answered, ANSWER_TIMEOUT_MS) === 'timed-out') {
        this.giveUp(`it gave no answer in ${ANSWER_TIMEOUT_MS} ms`);
        return undefined;
      }
    }
    const received = receiveMessageOnPort(this.port);
    if (!received) {
      this.giveUp('its answer was counted but not there');
      return undefined;
    }
    return received.message as LeafAnswer;
  }

  private giveUp(why: string): void {
    if (this.failure !== undefined) return;
    this.failure = `the leaf thread was given up: ${why}`;
    void this.worker.terminate().catch(() => undefined);
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    this.failure ??= 'the log is closed';
    await this.worker.terminate().catch(() => undefined);
  }
}
