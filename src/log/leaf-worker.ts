/**
 * The leaf thread's body (leaf-thread.ts): hashes each append it is sent, in the order sent, and
 * counts each answer in the shared state after posting it, so a main thread blocked at a group's
 * seal wakes knowing the answer is there to take.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { leafHashesOfStored, type StoredAppend } from './leaf.js';
import { ANSWERED, type LeafAnswer } from './leaf-thread.js';

const { port, state } = workerData as { port: MessagePort; state: Int32Array };

port.on('message', (job: StoredAppend) => {
  let answer: LeafAnswer;
  try {
    answer = leafHashesOfStored(job);
  } catch {
    answer = undefined; // the sealer does the work itself, and meets the same error there
  }
  port.postMessage(answer);
  Atomics.add(state, ANSWERED, 1);
  Atomics.notify(state, ANSWERED);
});

parentPort?.postMessage('ready');
