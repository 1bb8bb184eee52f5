/**
 * Checkpoints: the folded state of the projector and the writer's book,
 * written to disk with the position they reflect, so a restart folds only
 * what came after instead of replaying the log from zero.
 *
 * A checkpoint is trusted only for the store it was made from (same first
 * event, position not beyond the store's head) and the same format version;
 * anything else is ignored and the state is rebuilt from the log.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { DefaultDeserializer, serialize } from 'node:v8';
import type { EventStore } from '../store/port.js';

/** Bump when a fold changes meaning: older checkpoints are then rebuilt, never misread. */
export const CHECKPOINT_VERSION = 6; // 6: bound companions of inexact sums, shipment lines keep their precision

export interface Checkpoint<T> {
  format: 'mss-ledger-checkpoint';
  version: number;
  kind: string;
  position: number;
  firstEventId: string | undefined;
  savedAt: string;
  state: T;
}

/**
 * Node's deserializer returns typed arrays as views into the file's buffer: one kept array would
 * keep the whole file (170 MB on a million events) resident. Each is copied out instead.
 */
class CopyingDeserializer extends DefaultDeserializer {
  // Node's documented hook for host objects; its types leave it out.
  _readHostObject(): NodeJS.TypedArray {
    const base = DefaultDeserializer.prototype as unknown as { _readHostObject(): NodeJS.TypedArray };
    const view = base._readHostObject.call(this);
    return Buffer.isBuffer(view) ? Buffer.from(view) : view.slice();
  }
}

function deserialize(bytes: Buffer): unknown {
  const deserializer = new CopyingDeserializer(bytes);
  deserializer.readHeader();
  return deserializer.readValue() as unknown;
}

async function firstEventId(store: EventStore): Promise<string | undefined> {
  const [first] = await store.readAll({ limit: 1 });
  return first?.id;
}

/** Writes atomically: a crash mid-write leaves the previous checkpoint, never half of one. */
export async function saveCheckpoint<T>(file: string, kind: string, position: number, state: T, store: EventStore) {
  const checkpoint: Checkpoint<T> = {
    format: 'mss-ledger-checkpoint',
    version: CHECKPOINT_VERSION,
    kind,
    position,
    firstEventId: await firstEventId(store),
    savedAt: new Date().toISOString(),
    state,
  };
  const bytes = serialize(checkpoint);
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
  return bytes.length;
}

/** The checkpoint's state if it can be trusted for this store, else undefined. */
export async function loadCheckpoint<T>(
  file: string,
  kind: string,
  store: EventStore,
): Promise<Checkpoint<T> | undefined> {
  let checkpoint: Checkpoint<T>;
  try {
    checkpoint = deserialize(readFileSync(file)) as Checkpoint<T>;
  } catch {
    return undefined;
  }
  if (checkpoint?.format !== 'mss-ledger-checkpoint' || checkpoint.version !== CHECKPOINT_VERSION) return undefined;
  if (checkpoint.kind !== kind) return undefined;
  if (checkpoint.position > (await store.headPosition())) return undefined;
  if (checkpoint.firstEventId !== (await firstEventId(store))) return undefined;
  return checkpoint;
}
