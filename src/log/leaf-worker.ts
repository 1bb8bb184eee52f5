/**
 * The leaf thread's body (leaf-thread.ts): hashes each append and signs each checkpoint it is sent,
 * in the order sent, and counts each answer in the shared state after posting it, so a main thread
 * blocked at a group's seal wakes knowing the answer is there to take.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { leafHashesOfStored } from './leaf.js';
import { ANSWERED, type LeafAnswer, type LeafJob } from './leaf-thread.js';
import { signCheckpoint, signerFromKey, type Signer } from './note.js';

const { port, state } = workerData as { port: MessagePort; state: Int32Array };
let signer: Signer | undefined;

port.on('message', (job: LeafJob) => {
  if ('signingKey' in job) {
    signer = signerFromKey(job.signingKey.name, job.signingKey.key);
    return; // not answered
  }
  let answer: LeafAnswer;
  try {
    if (Array.isArray(job)) answer = leafHashesOfStored(job);
    else if (signer)
      answer = signCheckpoint(signer, { ...job.checkpoint, rootHash: Buffer.from(job.checkpoint.rootHash) });
  } catch {
    answer = undefined; // the sealer does the work itself, and meets the same error there
  }
  port.postMessage(answer);
  Atomics.add(state, ANSWERED, 1);
  Atomics.notify(state, ANSWERED);
});

parentPort?.postMessage('ready');
