/**
 * What an auditor's verifier does with an NDJSON export, a signed checkpoint
 * and the log's public key, with nothing else: recompute every leaf from the
 * export lines, rebuild the tree, and compare it with what was signed. Also
 * a read-only store over the export's events, so the projections' own fold
 * can recompute any projection from the export alone.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RecordedEvent } from '../../events/index.js';
import type { EventStore, SubscribeHandlers } from '../store/port.js';
import { leafOfLine } from './leaf.js';
import { leafHash, MerkleTree, prefixedLeafHash, verifyConsistency } from './merkle.js';
import { openCheckpoint, verifyCosignature, type Checkpoint, type Verifier } from './note.js';

/** The verifier's exit codes: each says what failed. */
export const EXIT = {
  ok: 0,
  usage: 1,
  badCheckpoint: 2,
  badCosignature: 3,
  exportMismatch: 4,
  notConsistent: 5,
  unsignedTail: 6,
  tampered: 7,
} as const;

export class VerificationError extends Error {
  constructor(
    readonly code: (typeof EXIT)[keyof typeof EXIT],
    message: string,
  ) {
    super(message);
  }
}

export interface ExportTree {
  tree: MerkleTree;
  /** True when the lines were parsed: positions, ids, recording times and the revision check are filled in. */
  detailed: boolean;
  /** Leaf index → global position and id, to name what does not match. */
  positions: number[];
  ids: string[];
  /** recordedAt of each leaf, for knownAt. */
  recordedAt: string[];
  /** The first event whose stream revision does not follow on (a row removed, moved or inserted). */
  structural?: { leafIndex: number; reason: string };
  /** The events, when the lines were parsed (to fold a projection). */
  events?: RecordedEvent[];
}

/**
 * Reads an export, line by line, into its Merkle tree. A line's bytes are its
 * leaf, so the tree needs no parsing; `detailed` also parses every line, to
 * name events and fold projections.
 */
export async function treeOfExport(file: string, detailed = false): Promise<ExportTree> {
  if (!detailed) return { tree: await hashLines(file), detailed, positions: [], ids: [], recordedAt: [] };
  const tree = new MerkleTree();
  const out: ExportTree = { tree, detailed, positions: [], ids: [], recordedAt: [] };
  if (detailed) out.events = [];
  const revisions = new Map<string, number>();
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line === '') continue;
    tree.append(leafHash(leafOfLine(line)));
    if (!detailed) continue;
    let event: RecordedEvent;
    try {
      event = JSON.parse(line) as RecordedEvent;
    } catch {
      throw new VerificationError(EXIT.usage, `${file} line ${lineNo} is not JSON`);
    }
    const expected = (revisions.get(event.stream) ?? -1) + 1;
    if (out.structural === undefined && event.streamRevision !== expected)
      out.structural = {
        leafIndex: tree.size - 1,
        reason: `stream ${event.stream} jumps from revision ${expected - 1} to ${event.streamRevision}: an event was removed, moved or inserted`,
      };
    revisions.set(event.stream, event.streamRevision);
    out.positions.push(event.globalPosition);
    out.ids.push(event.id);
    out.recordedAt.push(event.recordedAt);
    out.events!.push(event);
  }
  return out;
}

/** The tree of an export's lines, hashed as bytes straight from the file: no string is made of them. */
async function hashLines(file: string): Promise<MerkleTree> {
  const tree = new MerkleTree();
  let carry: Buffer = Buffer.alloc(0);
  for await (const read of createReadStream(file, { highWaterMark: 4 << 20 })) {
    const chunk: Buffer = carry.length > 0 ? Buffer.concat([carry, read as Buffer]) : (read as Buffer);
    let start = 0;
    for (let end = chunk.indexOf(10, start); end >= 0; end = chunk.indexOf(10, start)) {
      // A line ending in CR LF is the same line: readline (the detailed pass) drops the CR too.
      const stop = end > start && chunk[end - 1] === 13 ? end - 1 : end;
      if (stop > start)
        // The byte before a line is the previous line's newline: it becomes the leaf prefix 0x00, no copy made.
        tree.append(
          start > 0
            ? (chunk.fill(0, start - 1, start), prefixedLeafHash(chunk.subarray(start - 1, stop)))
            : leafHash(chunk.subarray(start, stop)),
        );
      start = end + 1;
    }
    carry = Buffer.from(chunk.subarray(start));
  }
  if (carry.length > 0) tree.append(leafHash(carry[carry.length - 1] === 13 ? carry.subarray(0, -1) : carry));
  return tree;
}

/** True when every checkpoint given matches the export's tree as it is. */
export const exportMatches = (t: ExportTree, checkpoints: readonly Checkpoint[]) =>
  checkpoints.every((c) => c.treeSize <= t.tree.size && Buffer.from(t.tree.root(c.treeSize)).equals(c.rootHash));

const where = (t: ExportTree, leafIndex: number) =>
  leafIndex < t.positions.length
    ? `position ${t.positions[leafIndex]} (leaf ${leafIndex}, event ${t.ids[leafIndex]})`
    : `leaf ${leafIndex} (the export ends at ${t.tree.size} events)`;

/** Checks a signed checkpoint against the export's tree; throws naming the first place it can tell. */
export function checkExportAgainst(
  t: ExportTree,
  checkpoint: Checkpoint,
  label: string,
  known: readonly Checkpoint[] = [],
): void {
  if (t.tree.size < checkpoint.treeSize)
    throw new VerificationError(
      EXIT.exportMismatch,
      `${label} signs ${checkpoint.treeSize} events, the export holds ${t.tree.size}: events are missing${t.structural ? `; first bad: ${where(t, t.structural.leafIndex)}: ${t.structural.reason}` : ''}`,
    );
  if (Buffer.from(t.tree.root(checkpoint.treeSize)).equals(checkpoint.rootHash)) return;
  // Narrow down with every other verified checkpoint: the bad leaf lies after the largest that still matches.
  let from = 0;
  let to = checkpoint.treeSize;
  for (const k of known)
    if (k.treeSize <= t.tree.size) {
      const matches = Buffer.from(t.tree.root(k.treeSize)).equals(k.rootHash);
      if (matches && k.treeSize > from && k.treeSize < to) from = k.treeSize;
      if (!matches && k.treeSize < to && k.treeSize > from) to = k.treeSize;
    }
  const structural =
    t.structural && t.structural.leafIndex >= from && t.structural.leafIndex < to ? t.structural : undefined;
  const first = structural?.leafIndex ?? from;
  throw new VerificationError(
    EXIT.exportMismatch,
    `the export does not hash to the root ${label} signs: first bad event at ${where(t, first)}${
      structural ? ` (${structural.reason})` : to - from > 1 ? `, somewhere in leaves ${from}..${to - 1}` : ''
    }`,
  );
}

/** Each witness key must have a valid cosignature on the checkpoint. */
export function checkCosignatures(text: string, verifier: Verifier, witnesses: readonly Verifier[]): string[] {
  const { note } = openCheckpoint(text, verifier);
  return witnesses.map((w) => {
    const line = note.signatures.find((s) => verifyCosignature(note.body, s, w) !== undefined);
    if (!line) throw new VerificationError(EXIT.badCosignature, `no valid cosignature by witness ${w.name}`);
    return w.name;
  });
}

/** The older checkpoint is a prefix of the newer: proven by the export, which holds both. */
export function checkConsistent(t: ExportTree, older: Checkpoint, newer: Checkpoint): void {
  if (older.treeSize > newer.treeSize)
    throw new VerificationError(
      EXIT.notConsistent,
      `the older checkpoint (${older.treeSize}) is larger than the newer (${newer.treeSize})`,
    );
  if (!Buffer.from(t.tree.root(older.treeSize)).equals(older.rootHash))
    throw new VerificationError(
      EXIT.notConsistent,
      `the log did not only grow: the first ${older.treeSize} events no longer hash to the older checkpoint's root`,
    );
}

/** Checks a served consistency proof between two checkpoints (for a witness, without an export). */
export function consistentByProof(older: Checkpoint, newer: Checkpoint, proof: readonly Uint8Array[]): boolean {
  if (older.treeSize === 0) return true;
  return verifyConsistency(older.treeSize, newer.treeSize, proof, older.rootHash, newer.rootHash);
}

/**
 * A read-only store over events already in memory (an export): the
 * projections' own fold runs on it unchanged.
 */
export function exportStore(events: readonly RecordedEvent[]): EventStore {
  const after = (position: number) => {
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (events[mid]!.globalPosition <= position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const byId = new Map(events.map((e) => [e.id, e]));
  return {
    engine: 'export',
    append: () => Promise.reject(new Error('an export is read-only')),
    readStream: async (stream, options = {}) =>
      events.filter((e) => e.stream === stream && e.streamRevision > (options.after ?? -1)).slice(0, options.limit),
    readAll: async (options = {}) =>
      events.slice(after(options.after ?? 0), after(options.after ?? 0) + (options.limit ?? events.length)),
    readByIds: async (ids) => ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])),
    streamRevision: async (stream) => {
      for (let i = events.length - 1; i >= 0; i--) if (events[i]!.stream === stream) return events[i]!.streamRevision;
      return undefined;
    },
    headPosition: async () => events[events.length - 1]?.globalPosition ?? 0,
    subscribeToAll(from: number, handlers: SubscribeHandlers) {
      let closed = false;
      const done = (async () => {
        for (let i = after(from); i < events.length && !closed; i++) await handlers.onEvent(events[i]!);
        handlers.onCaughtUp?.(events[events.length - 1]?.globalPosition ?? 0);
      })().catch((error: unknown) => handlers.onError?.(error as Error));
      return {
        close: async () => {
          closed = true;
          await done;
        },
      };
    },
    integrityProblems: async () => [],
    close: async () => {},
  };
}
