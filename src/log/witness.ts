/**
 * A witness: co-signs a log's checkpoint only after checking its signature
 * and that it is consistent with the last checkpoint it co-signed (C2SP
 * tlog-cosignature, cosignature/v1). Shown a checkpoint that contradicts what
 * it saw before (a fork, or a log that shrank), it refuses and keeps both as
 * evidence. The transport is injected: the CLI uses fetch, tests the app.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { verifyConsistency } from './merkle.js';
import { cosign, openCheckpoint, parseNote, parseVerifierKey, type Signer } from './note.js';

export interface WitnessState {
  /** The log's verifier key, pinned on first contact. */
  logKey: string;
  /** The last checkpoint co-signed, as served. */
  checkpoint: string;
  treeSize: number;
  rootHash: string;
}

export interface Transport {
  get(path: string): Promise<{ status: number; body: string }>;
  post(path: string, body: unknown): Promise<{ status: number; body: string }>;
}

export class WitnessRefusal extends Error {
  override readonly name = 'WitnessRefusal';
  constructor(
    message: string,
    readonly evidenceFile: string,
  ) {
    super(message);
  }
}

const loadState = (file: string): WitnessState | undefined =>
  existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as WitnessState) : undefined;

async function get(http: Transport, path: string): Promise<string> {
  const answer = await http.get(path);
  if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${answer.body.slice(0, 200)}`);
  return answer.body;
}

/** One round: fetch, check, co-sign, post back. Returns the tree size co-signed. */
export async function witnessOnce(
  http: Transport,
  options: { stateFile: string; signer: Signer; now?: () => number },
): Promise<{ treeSize: number; cosignature: string }> {
  const state = loadState(options.stateFile);
  const logKey = state?.logKey ?? (await get(http, '/v1/log/key')).trim();
  const verifier = parseVerifierKey(logKey);
  const text = await get(http, '/v1/log/checkpoint');
  const checkpoint = openCheckpoint(text, verifier);
  const body = parseNote(text).body;

  if (state) {
    const refuse = (why: string, proof?: string[]) => {
      const evidenceFile = `${options.stateFile}.evidence-${Date.now()}.json`;
      writeFileSync(
        evidenceFile,
        JSON.stringify({ refused: why, cosigned: state.checkpoint, shown: text, ...(proof ? { proof } : {}) }, null, 2),
      );
      throw new WitnessRefusal(`REFUSED: ${why}; both checkpoints kept in ${evidenceFile}`, evidenceFile);
    };
    const oldRoot = Buffer.from(state.rootHash, 'base64');
    if (checkpoint.treeSize < state.treeSize)
      refuse(`the log shows ${checkpoint.treeSize} events after it showed ${state.treeSize}: it shrank`);
    if (checkpoint.treeSize === state.treeSize && !checkpoint.rootHash.equals(oldRoot))
      refuse(`two different roots for ${checkpoint.treeSize} events: the log forked`);
    if (checkpoint.treeSize > state.treeSize && state.treeSize > 0) {
      const answer = await http.get(`/v1/log/proof/consistency?from=${state.treeSize}&to=${checkpoint.treeSize}`);
      const proof = answer.status === 200 ? (JSON.parse(answer.body) as { proof: string[] }).proof : [];
      const ok =
        answer.status === 200 &&
        verifyConsistency(
          state.treeSize,
          checkpoint.treeSize,
          proof.map((p) => Buffer.from(p, 'base64')),
          oldRoot,
          checkpoint.rootHash,
        );
      if (!ok)
        refuse(
          `no valid consistency proof from the ${state.treeSize} events co-signed to the ${checkpoint.treeSize} shown: the log forked or rewrote history`,
          proof,
        );
    }
  }

  const time = Math.floor((options.now ?? Date.now)() / 1000);
  const line = cosign(options.signer, body, time);
  const posted = await http.post('/v1/log/cosignatures', { treeSize: checkpoint.treeSize, cosignature: line });
  if (posted.status !== 201) throw new Error(`the log refused the cosignature: ${posted.status} ${posted.body}`);
  const next: WitnessState = {
    logKey,
    checkpoint: text,
    treeSize: checkpoint.treeSize,
    rootHash: checkpoint.rootHash.toString('base64'),
  };
  writeFileSync(options.stateFile, JSON.stringify(next, null, 2));
  return { treeSize: checkpoint.treeSize, cosignature: line };
}
