/**
 * Checkpoints: the folded state of the projector and the writer's book,
 * written to disk with the position they reflect, so a restart folds only
 * what came after instead of replaying the log from zero.
 *
 * A file is one header line, then the body: the state's objects as V8 serialises them, then its
 * typed arrays apart, each aligned (checkpoint-arrays.ts):
 *
 *     MSS-LEDGER-CHECKPOINT <version> sha256:<hex of the body> <bytes of objects> <bytes of arrays>\n
 *
 * A checkpoint is trusted only when the body has exactly those lengths and
 * digest (a truncated or bit-flipped file is detected, and what it holds is
 * never used; a large body is deserialised while its digest is taken),
 * and only for the store it was made from (same first event, position not
 * beyond the store's head) and the same format version. Anything else is
 * logged in one line and ignored: the state is rebuilt from the log.
 */
import { createHash } from 'node:crypto';
import * as nodeFs from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import path from 'node:path';
import type { EventStore } from '../store/port.js';
import { joinState, regionPieces, splitState } from './checkpoint-arrays.js';
import {
  allocate,
  readInto,
  sha256Hex,
  sha256OffThread,
  type DigestThreadOptions,
  type ReadableFile,
} from './digest-thread.js';

/**
 * Bump when a fold or the file's layout changes meaning: older checkpoints are then rebuilt, never misread.
 * 7: the header line with the body's SHA-256 and length.
 * 8: bound companions of inexact sums; shipment lines keep their precision.
 * 9: the time index keeps business time as a Fenwick tree of bucket sums (TimeIndexExport 2).
 * 10: the writer's book keeps its shipments as rows (src/ledger/book-checkpoint.ts).
 * 11: the book's shipments and serials as columns over one table of strings.
 * 12: the time index orders each position block's facts by occurrence (TimeIndexExport 3).
 * 13: typed arrays apart from the objects, aligned, restored as views (checkpoint-arrays.ts).
 * 14: a time index's columns may be lists of their chunks (written from where they live, not
 *     copied into one array first); 13 is still read, its columns being one array each.
 */
export const CHECKPOINT_VERSION = 14;
/** The formats this version reads: the layout of 13 is 14's, and what 14 adds it reads in both. */
const READS = [13, CHECKPOINT_VERSION];
const readsFormat = (version: number) => READS.includes(version);
const formatsRead = `${READS.slice(0, -1).join(', ')} and ${CHECKPOINT_VERSION}`;
const MAGIC = 'MSS-LEDGER-CHECKPOINT';
/** Longer than any header this code writes; a file without a newline by then is not a checkpoint. */
const MAX_HEADER = 128;

export interface Checkpoint<T> {
  format: 'mss-ledger-checkpoint';
  version: number;
  kind: string;
  position: number;
  firstEventId: string | undefined;
  savedAt: string;
  state: T;
}

/** The file operations a save uses; a test passes failing ones to play a full disk. */
export type CheckpointFs = Pick<
  typeof nodeFs,
  'closeSync' | 'fsyncSync' | 'mkdirSync' | 'openSync' | 'renameSync' | 'rmSync' | 'writeSync'
>;

/** A save that did not happen: the previous checkpoint, if any, is still in place and no temporary file is left. */
export class CheckpointSaveError extends Error {
  override readonly name = 'CheckpointSaveError';
  /** The system error code behind it (ENOSPC on a full disk, EROFS, EACCES …), when there is one. */
  readonly code: string | undefined;
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`checkpoint not saved to ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

const header = (digest: string, objectBytes: number, arrayBytes: number, version = CHECKPOINT_VERSION) =>
  `${MAGIC} ${version} sha256:${digest} ${objectBytes} ${arrayBytes}\n`;

/** The body of a checkpoint file, or why it cannot be trusted. */
export function verifiedBody(bytes: Buffer): { body: Buffer } | { problem: string } {
  const parsed = parsedHeader(bytes, bytes.length);
  if ('problem' in parsed) return parsed;
  const body = bytes.subarray(parsed.headerBytes);
  if (sha256Hex(body) !== parsed.digest) return { problem: CHECKSUM_PROBLEM };
  return { body };
}

const CHECKSUM_PROBLEM = 'the checksum does not match: the file is damaged';

interface ParsedHeader {
  digest: string;
  headerBytes: number;
  objectBytes: number;
  arrayBytes: number;
}

/**
 * What the header line at the start of `head` says, checked against the file's size; or why the file
 * is not a checkpoint of this format. The digest is not checked.
 */
function parsedHeader(head: Buffer, fileBytes: number): ParsedHeader | { problem: string } {
  const newline = head.subarray(0, MAX_HEADER).indexOf(10);
  if (newline < 0) return { problem: 'no checkpoint header (an older format, or not a checkpoint)' };
  const line = head.subarray(0, newline).toString('latin1');
  const version = /^MSS-LEDGER-CHECKPOINT (\d+) /.exec(line)?.[1];
  if (version !== undefined && !readsFormat(Number(version)))
    return { problem: `format ${version}, this version reads formats ${formatsRead}` };
  const match = /^MSS-LEDGER-CHECKPOINT \d+ sha256:([0-9a-f]{64}) (\d+) (\d+)$/.exec(line);
  if (!match) return { problem: 'the header is damaged or of another format' };
  const [, digest = '', objects, arrays] = match;
  const [objectBytes, arrayBytes] = [Number(objects), Number(arrays)];
  // Read back as written: a header that does not re-render the same (a leading zero …) was edited.
  if (header(digest, objectBytes, arrayBytes, Number(version)) !== `${line}\n`)
    return { problem: 'the header is damaged' };
  const bodyBytes = fileBytes - (newline + 1);
  if (bodyBytes !== objectBytes + arrayBytes)
    return { problem: `the body has ${bodyBytes} bytes, the header says ${objectBytes + arrayBytes} (truncated?)` };
  return { digest, headerBytes: newline + 1, objectBytes, arrayBytes };
}

export async function firstEventId(store: Pick<EventStore, 'readAll'>): Promise<string | undefined> {
  const [first] = await store.readAll({ limit: 1 });
  return first?.id;
}

/**
 * What a checkpoint is bound to: the store itself, or its first event's id read beforehand (a
 * checkpoint written after the store was closed, at a stop).
 */
export type CheckpointStore = Pick<EventStore, 'readAll'> | { firstEventId: string | undefined };

export interface SaveOptions {
  fs?: CheckpointFs;
}

/**
 * Writes atomically: a crash mid-write leaves the previous checkpoint, never half of one. A failed
 * write (a full disk) removes its temporary file and rejects with a CheckpointSaveError.
 */
export async function saveCheckpoint<T>(
  file: string,
  kind: string,
  position: number,
  state: T,
  store: CheckpointStore,
  options: SaveOptions = {},
) {
  const fs = options.fs ?? nodeFs;
  const checkpoint: Checkpoint<T> = {
    format: 'mss-ledger-checkpoint',
    version: CHECKPOINT_VERSION,
    kind,
    position,
    firstEventId: 'firstEventId' in store ? store.firstEventId : await firstEventId(store),
    savedAt: new Date().toISOString(),
    state,
  };
  const { objects, arrays, arrayBytes } = splitState(checkpoint);
  const pieces = [objects, ...regionPieces(arrays)];
  const digest = createHash('sha256');
  for (const piece of pieces) digest.update(piece);
  const head = Buffer.from(header(digest.digest('hex'), objects.length, arrayBytes), 'latin1');
  const temporary = `${file}.tmp`;
  let created = false;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(temporary, 'w');
    created = true;
    try {
      // Piece by piece, each array from where it lives: the body can be a GB, never concatenated.
      writeAll(fs, fd, head);
      for (const piece of pieces) writeAll(fs, fd, piece);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
  } catch (error) {
    if (created) fs.rmSync(temporary, { force: true });
    throw new CheckpointSaveError(file, error);
  }
  return head.length + objects.length + arrayBytes;
}

function writeAll(fs: CheckpointFs, fd: number, bytes: Uint8Array): void {
  for (let offset = 0; offset < bytes.length;) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
}

/**
 * A checkpoint file read: its objects' part and its arrays' region, each in memory of its own; or
 * why it is not a checkpoint of this format (its header), or why it could not be read.
 */
export type CheckpointBytes =
  { digest: string; objects: Buffer; arrays: Buffer } | { problem: string } | { error: NodeJS.ErrnoException };

/**
 * Reads a checkpoint file on the thread pool (a large one into shared memory, for its digest's
 * thread). The two parts of the body go to two buffers: the state keeps the arrays' one (its arrays
 * are views of it), and drops the objects' one once deserialised. It never rejects: a start begins
 * these reads early, before it can use them, and a failed read is an answer to give then, not an
 * unhandled rejection now.
 */
export function readCheckpointFile(
  file: string,
  offThreadDigestBytes = OFF_THREAD_DIGEST_BYTES,
  open: (file: string) => Promise<ReadableFile> = (name) => openFile(name, 'r'),
): Promise<CheckpointBytes> {
  const reading = async (): Promise<CheckpointBytes> => {
    const handle = await open(file);
    try {
      const fileBytes = (await handle.stat()).size;
      const head = Buffer.alloc(Math.min(MAX_HEADER, fileBytes));
      const parsed = parsedHeader(head.subarray(0, await readInto(handle, head, 0)), fileBytes);
      if ('problem' in parsed) return parsed;
      const shared = parsed.objectBytes + parsed.arrayBytes >= offThreadDigestBytes;
      const objects = allocate(parsed.objectBytes, shared);
      const arrays = allocate(parsed.arrayBytes, shared);
      const read =
        (await readInto(handle, objects, parsed.headerBytes)) +
        (await readInto(handle, arrays, parsed.headerBytes + parsed.objectBytes));
      if (read !== objects.length + arrays.length)
        return {
          problem: `the body has ${read} bytes, the header says ${objects.length + arrays.length} (truncated?)`,
        };
      return { digest: parsed.digest, objects, arrays };
    } finally {
      await handle.close();
    }
  };
  return reading().catch((error: unknown) => ({ error: error as NodeJS.ErrnoException }));
}

export interface LoadOptions extends DigestThreadOptions {
  /** Where the one line saying why a checkpoint was ignored goes; stderr by default. */
  log?: (line: string) => void;
  /** Bodies this large have their digest taken on a second thread. Default 16 MiB: below it a thread costs more than it saves. */
  offThreadDigestBytes?: number;
  /** The file's bytes, when their read was started earlier (readCheckpointFile); else they are read now. */
  bytes?: Promise<CheckpointBytes>;
}

const OFF_THREAD_DIGEST_BYTES = 16 * 1024 * 1024;

const toStderr = (line: string) => {
  process.stderr.write(`${line}\n`);
};

/** The checkpoint's state if it can be trusted for this store, else undefined (and one line logged). */
export async function loadCheckpoint<T>(
  file: string,
  kind: string,
  store: EventStore,
  options: LoadOptions = {},
): Promise<Checkpoint<T> | undefined> {
  const ignore = (why: string) => {
    (options.log ?? toStderr)(`checkpoint ${file} ignored: ${why}; the log is replayed instead`);
    return undefined;
  };
  const read = await (options.bytes ?? readCheckpointFile(file, options.offThreadDigestBytes));
  if ('error' in read) {
    // No checkpoint yet is the normal first start, not worth a line.
    if (read.error.code === 'ENOENT') return undefined;
    return ignore(`unreadable (${read.error.message})`);
  }
  if ('problem' in read) return ignore(read.problem);
  // The digest is taken (on a second thread for a large body) while the body is deserialised; the
  // state is used only if it matches.
  const digest = sha256OffThread([read.objects, read.arrays], options);
  let checkpoint: Checkpoint<T> | undefined;
  let failure: Error | undefined;
  try {
    checkpoint = joinState(read.objects, read.arrays) as Checkpoint<T>;
  } catch (error) {
    failure = error as Error;
  }
  if ((await digest).hex !== read.digest) return ignore(CHECKSUM_PROBLEM);
  if (failure) return ignore(`its body does not deserialise (${failure.message})`);
  if (checkpoint?.format !== 'mss-ledger-checkpoint' || !readsFormat(checkpoint.version))
    return ignore('its body is not a checkpoint of this format');
  if (checkpoint.kind !== kind) return ignore(`it holds a ${checkpoint.kind}, not a ${kind}`);
  if (checkpoint.position > (await store.headPosition()))
    return ignore(`it is at position ${checkpoint.position}, beyond the store's head`);
  if (checkpoint.firstEventId !== (await firstEventId(store))) return ignore('it was made from another store');
  return checkpoint;
}
