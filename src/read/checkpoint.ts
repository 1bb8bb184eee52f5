/**
 * Checkpoints: the folded state of the projector and the writer's book,
 * written to disk with the position they reflect, so a restart folds only
 * what came after instead of replaying the log from zero.
 *
 * A file is one header line, then the state as V8 serialises it:
 *
 *     MSS-LEDGER-CHECKPOINT <version> sha256:<hex of the body> <bytes of the body>\n
 *
 * A checkpoint is trusted only when the body has exactly that length and
 * digest (a truncated or bit-flipped file is detected, and what it holds is
 * never used; a large body is deserialised while its digest is taken),
 * and only for the store it was made from (same first event, position not
 * beyond the store's head) and the same format version. Anything else is
 * logged in one line and ignored: the state is rebuilt from the log.
 */
import * as nodeFs from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { DefaultDeserializer, serialize } from 'node:v8';
import type { EventStore } from '../store/port.js';
import { readWholeFile, sha256Hex, sha256OffThread, type DigestThreadOptions } from './digest-thread.js';

/**
 * Bump when a fold or the file's layout changes meaning: older checkpoints are then rebuilt, never misread.
 * 7: the header line with the body's SHA-256 and length.
 * 8: bound companions of inexact sums; shipment lines keep their precision.
 * 9: the time index keeps business time as a Fenwick tree of bucket sums (TimeIndexExport 2).
 * 10: the writer's book keeps its shipments as rows (src/ledger/book-checkpoint.ts).
 * 11: the book's shipments and serials as columns over one table of strings.
 * 12: the time index orders each position block's facts by occurrence (TimeIndexExport 3).
 */
export const CHECKPOINT_VERSION = 12;
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

const header = (digest: string, length: number) => `${MAGIC} ${CHECKPOINT_VERSION} sha256:${digest} ${length}\n`;

/** The body of a checkpoint file, or why it cannot be trusted. */
export function verifiedBody(bytes: Buffer): { body: Buffer } | { problem: string } {
  const parsed = parsedFile(bytes);
  if ('problem' in parsed) return parsed;
  if (sha256Hex(parsed.body) !== parsed.digest) return { problem: CHECKSUM_PROBLEM };
  return { body: parsed.body };
}

const CHECKSUM_PROBLEM = 'the checksum does not match: the file is damaged';

/** The body and the digest its header names, or why the file is not a checkpoint of this format; the digest is not checked. */
function parsedFile(bytes: Buffer): { body: Buffer; digest: string } | { problem: string } {
  const newline = bytes.subarray(0, MAX_HEADER).indexOf(10);
  if (newline < 0) return { problem: 'no checkpoint header (an older format, or not a checkpoint)' };
  const line = bytes.subarray(0, newline).toString('latin1');
  const match = /^MSS-LEDGER-CHECKPOINT (\d+) sha256:([0-9a-f]{64}) (\d+)$/.exec(line);
  if (!match) return { problem: 'the header is damaged or of another format' };
  const [, version, digest = '', length] = match;
  if (Number(version) !== CHECKPOINT_VERSION)
    return { problem: `format ${version}, this version reads format ${CHECKPOINT_VERSION}` };
  const body = bytes.subarray(newline + 1);
  // Read back as written: a header that does not re-render the same (a leading zero …) was edited.
  if (header(digest, Number(length)) !== `${line}\n`) return { problem: 'the header is damaged' };
  if (body.length !== Number(length))
    return { problem: `the body has ${body.length} bytes, the header says ${length} (truncated?)` };
  return { body, digest };
}
/**
 * Node's deserializer returns a typed array as a view into the file's buffer when its bytes happen
 * to be aligned, and as a copy of its own when they are not. One kept view would keep the whole file
 * (117 MB on a million events) resident, so views are copied out. A copy Node already made is kept
 * as it is: copying it again cost a restart 100 MB of allocation (most of a checkpoint's arrays are
 * unaligned). A small copy may sit in Node's shared pool; that one is copied, so every array owns
 * exactly its bytes.
 */
class CopyingDeserializer extends DefaultDeserializer {
  constructor(private readonly file: Buffer) {
    super(file);
  }

  // Node's documented hook for host objects; its types leave it out.
  _readHostObject(): NodeJS.TypedArray {
    const base = DefaultDeserializer.prototype as unknown as { _readHostObject(): NodeJS.TypedArray };
    const view = base._readHostObject.call(this);
    if (ownsItsBytes(view) && view.buffer !== this.file.buffer) return view;
    if (!Buffer.isBuffer(view)) return view.slice();
    // Not Buffer.from: it may copy into a shared pool slab (64 KiB on Node 26), which other
    // buffers then keep alive. A buffer of its own owns exactly its bytes on every Node.
    const copy = Buffer.allocUnsafeSlow(view.length);
    view.copy(copy);
    return copy;
  }
}

const ownsItsBytes = (array: NodeJS.TypedArray) =>
  array.byteOffset === 0 && array.buffer.byteLength === array.byteLength;

function deserialize(bytes: Buffer): unknown {
  const deserializer = new CopyingDeserializer(bytes);
  deserializer.readHeader();
  return deserializer.readValue() as unknown;
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
  const body = serialize(checkpoint);
  const head = Buffer.from(header(sha256Hex(body), body.length), 'latin1');
  const temporary = `${file}.tmp`;
  let created = false;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(temporary, 'w');
    created = true;
    try {
      // Two writes, not one concatenated buffer: the body can be hundreds of MB.
      writeAll(fs, fd, head);
      writeAll(fs, fd, body);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
  } catch (error) {
    if (created) fs.rmSync(temporary, { force: true });
    throw new CheckpointSaveError(file, error);
  }
  return head.length + body.length;
}

function writeAll(fs: CheckpointFs, fd: number, bytes: Uint8Array): void {
  for (let offset = 0; offset < bytes.length;) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
}

/** A checkpoint file's bytes, or why they could not be read. */
export type CheckpointBytes = { bytes: Buffer } | { error: NodeJS.ErrnoException };

/**
 * Reads a checkpoint file on the thread pool (a large one into shared memory, for its digest's
 * thread). It never rejects: a start begins these reads early, before it can use them, and a
 * failed read is an answer to give then, not an unhandled rejection now.
 */
export function readCheckpointFile(
  file: string,
  offThreadDigestBytes = OFF_THREAD_DIGEST_BYTES,
): Promise<CheckpointBytes> {
  const reading = async () => {
    const large = (await stat(file)).size >= offThreadDigestBytes;
    return { bytes: await readWholeFile(file, large) };
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
  const parsed = parsedFile(read.bytes);
  if ('problem' in parsed) return ignore(parsed.problem);
  // The digest is taken (on a second thread for a large body) while the body is deserialised; the
  // state is used only if it matches.
  const digest = sha256OffThread(parsed.body, options);
  let checkpoint: Checkpoint<T> | undefined;
  let failure: Error | undefined;
  try {
    checkpoint = deserialize(parsed.body) as Checkpoint<T>;
  } catch (error) {
    failure = error as Error;
  }
  if ((await digest).hex !== parsed.digest) return ignore(CHECKSUM_PROBLEM);
  if (failure) return ignore(`its body does not deserialise (${failure.message})`);
  if (checkpoint?.format !== 'mss-ledger-checkpoint' || checkpoint.version !== CHECKPOINT_VERSION)
    return ignore('its body is not a checkpoint of this format');
  if (checkpoint.kind !== kind) return ignore(`it holds a ${checkpoint.kind}, not a ${kind}`);
  if (checkpoint.position > (await store.headPosition()))
    return ignore(`it is at position ${checkpoint.position}, beyond the store's head`);
  if (checkpoint.firstEventId !== (await firstEventId(store))) return ignore('it was made from another store');
  return checkpoint;
}
