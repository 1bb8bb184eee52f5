/**
 * The checkpoint file on its own, against a stand-in store (its first event and its head are all a
 * checkpoint asks of it): what a save writes, which files a load trusts, and the one line that says
 * why one was not. Quick, so mutation testing can run it for every change to checkpoint.ts; the
 * service-level behaviour is in checkpoint.test.ts and checkpoint-integrity.test.ts.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serialize } from 'node:v8';
import t, { type Test } from 'tap';
import {
  CHECKPOINT_VERSION,
  CheckpointSaveError,
  loadCheckpoint,
  readCheckpointFile,
  saveCheckpoint,
  verifiedBody,
  type CheckpointFs,
} from '../../src/read/checkpoint.js';
import type { ReadableFile } from '../../src/read/digest-thread.js';
import type { EventStore } from '../../src/store/port.js';

/** A store as a checkpoint sees it: the id of its first event (if any) and its head position. */
const storeOf = (firstId: string | undefined, head: number) =>
  ({
    readAll: async (options?: { limit?: number }) =>
      firstId === undefined || options?.limit === 0 ? [] : [{ id: firstId, globalPosition: 1 }],
    headPosition: async () => head,
  }) as unknown as EventStore;

function tempDir(t: Test) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-ledger-checkpoint-file-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Loads, keeping the lines logged; twice, the digest taken on this thread and then on a second one
 * (as for a large file), which must come to the same answer and the same line.
 */
async function load(file: string, kind: string, store: EventStore) {
  const lines: string[] = [];
  const checkpoint = await loadCheckpoint<unknown>(file, kind, store, { log: (line) => lines.push(line) });
  const offThreadLines: string[] = [];
  const offThread = await loadCheckpoint<unknown>(file, kind, store, {
    log: (line) => offThreadLines.push(line),
    offThreadDigestBytes: 0,
  });
  if (JSON.stringify([checkpoint, lines]) !== JSON.stringify([offThread, offThreadLines]))
    throw new Error(`the digest on a second thread changed the answer: ${JSON.stringify([offThread, offThreadLines])}`);
  return { checkpoint, lines };
}

const headerOf = (bytes: Buffer) => bytes.subarray(0, bytes.indexOf(10)).toString('latin1');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

t.test('a save writes one header line naming format, digest and length, then the body', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'nested', 'deeper', 'projections.checkpoint');
  const store = storeOf('first-event', 10);
  const before = Date.now();
  const written = await saveCheckpoint(file, 'projector', 7, { folded: [1, 2, 3] }, store);
  const bytes = readFileSync(file);
  t.equal(written, bytes.length, 'the size written is returned');
  const header = headerOf(bytes);
  const body = bytes.subarray(header.length + 1);
  // No typed arrays in this state: the body is all objects, and the arrays' region is empty.
  t.equal(header, `MSS-LEDGER-CHECKPOINT ${CHECKPOINT_VERSION} sha256:${sha256(body)} ${body.length} 0`);
  t.same(readdirSync(path.dirname(file)), ['projections.checkpoint'], 'the missing folders are made; no .tmp left');

  const { checkpoint, lines } = await load(file, 'projector', store);
  t.same(lines, [], 'nothing to say about a sound checkpoint');
  t.match(checkpoint, {
    format: 'mss-ledger-checkpoint',
    version: CHECKPOINT_VERSION,
    kind: 'projector',
    position: 7,
    firstEventId: 'first-event',
    state: { folded: [1, 2, 3] },
  });
  const savedAt = Date.parse(checkpoint!.savedAt);
  t.ok(savedAt >= before - 1000 && savedAt <= Date.now() + 1000, 'savedAt is when it was saved');
  t.same(verifiedBody(bytes), { body }, 'the body is what follows the header line');
  t.same(
    verifiedBody(Buffer.concat([bytes, Buffer.from('x')])),
    { problem: `the body has ${body.length + 1} bytes, the header says ${body.length} (truncated?)` },
    'one byte more: refused for its length',
  );
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 1]! ^= 1;
  t.same(
    verifiedBody(flipped),
    { problem: 'the checksum does not match: the file is damaged' },
    'one bit off: refused',
  );
});

t.test('a save over an earlier checkpoint replaces it whole', async (t) => {
  const file = path.join(tempDir(t), 'projections.checkpoint');
  const store = storeOf('first', 100);
  await saveCheckpoint(file, 'projector', 3, { big: 'x'.repeat(10_000) }, store);
  await saveCheckpoint(file, 'projector', 4, { small: true }, store);
  const { checkpoint, lines } = await load(file, 'projector', store);
  t.same(lines, []);
  t.match(checkpoint, { position: 4, state: { small: true } });
});

t.test('a save goes through short writes until every byte is written', async (t) => {
  const file = path.join(tempDir(t), 'projections.checkpoint');
  const store = storeOf('first', 100);
  // A file system that writes at most 100 bytes per call, as a write to a pipe or a full-ish disk may.
  const short: CheckpointFs = {
    ...fs,
    writeSync: ((fd: number, bytes: Uint8Array, offset: number, length: number) =>
      fs.writeSync(fd, bytes, offset, Math.min(length, 100))) as CheckpointFs['writeSync'],
  };
  const state = { items: Array.from({ length: 500 }, (_, i) => `item ${i}`) };
  await saveCheckpoint(file, 'projector', 9, state, store, { fs: short });
  const { checkpoint, lines } = await load(file, 'projector', store);
  t.same(lines, [], 'the file is whole');
  t.same(checkpoint?.state, state);
});

t.test('a failed save leaves the previous checkpoint and no temporary file, and says why', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'projections.checkpoint');
  const store = storeOf('first', 100);
  await saveCheckpoint(file, 'projector', 1, { first: true }, store);
  const previous = readFileSync(file);
  const full = Object.assign(new Error('ENOSPC: no space left on device, fsync'), { code: 'ENOSPC' });
  for (const failing of ['writeSync', 'fsyncSync', 'renameSync'] as const) {
    const error = await saveCheckpoint(file, 'projector', 2, { second: true }, store, {
      fs: {
        ...fs,
        [failing]: () => {
          throw full;
        },
      },
    }).catch((e: unknown) => e);
    t.type(error, CheckpointSaveError, `${failing} failing`);
    t.equal((error as CheckpointSaveError).code, 'ENOSPC');
    t.equal((error as CheckpointSaveError).file, file);
    t.equal((error as CheckpointSaveError).name, 'CheckpointSaveError');
    t.equal((error as CheckpointSaveError).cause, full, 'the system error is kept as the cause');
    t.equal((error as Error).message, `checkpoint not saved to ${file}: ENOSPC: no space left on device, fsync`);
    t.same(readdirSync(dir), ['projections.checkpoint'], 'no temporary file is left');
    t.same(readFileSync(file), previous, 'the previous checkpoint is untouched');
  }
  const closed: string[] = [];
  await saveCheckpoint(file, 'projector', 2, {}, store, {
    fs: {
      ...fs,
      writeSync: () => {
        throw full;
      },
      closeSync: (fd: number) => {
        closed.push(String(fd));
        fs.closeSync(fd);
      },
    },
  }).catch(() => undefined);
  t.equal(closed.length, 1, 'the temporary file is closed even when a write fails');

  const notAnError = await saveCheckpoint(file, 'projector', 2, {}, store, {
    fs: {
      ...fs,
      openSync: () => {
        throw 'refused';
      },
    },
  }).catch((e: unknown) => e);
  t.equal((notAnError as Error).message, `checkpoint not saved to ${file}: refused`, 'a thrown non-error is named');
  t.equal((notAnError as CheckpointSaveError).code, undefined);
});

t.test('no checkpoint yet is the normal first start: nothing loaded, nothing logged', async (t) => {
  const { checkpoint, lines } = await load(path.join(tempDir(t), 'none'), 'projector', storeOf('first', 1));
  t.equal(checkpoint, undefined);
  t.same(lines, []);
});

t.test('each reason to ignore a checkpoint is logged in one line naming the file', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'projections.checkpoint');
  const store = storeOf('first', 50);
  await saveCheckpoint(file, 'projector', 20, { folded: 20 }, store);
  const sound = readFileSync(file);
  const header = headerOf(sound);
  const body = sound.subarray(header.length + 1);
  const withBody = (b: Buffer, version = CHECKPOINT_VERSION) =>
    Buffer.concat([Buffer.from(`MSS-LEDGER-CHECKPOINT ${version} sha256:${sha256(b)} ${b.length} 0\n`, 'latin1'), b]);

  const ignored = async (what: string, why: RegExp, store_: EventStore = store, kind = 'projector') => {
    const { checkpoint, lines } = await load(file, kind, store_);
    t.equal(checkpoint, undefined, `${what}: not loaded`);
    t.equal(lines.length, 1, `${what}: one line`);
    t.match(lines[0], new RegExp(`^checkpoint ${file} ignored: .*; the log is replayed instead$`), what);
    t.match(lines[0], why, what);
  };
  const written = async (bytes: Buffer | string, what: string, why: RegExp) => {
    writeFileSync(file, bytes);
    await ignored(what, why);
  };

  await written('x'.repeat(200), 'no newline in the first 128 bytes', /no checkpoint header/);
  await written(`${'x'.repeat(130)}\n`, 'a newline only after 128 bytes', /no checkpoint header/);
  await written(
    `MSS-LEDGER-CHECKPOINT ${CHECKPOINT_VERSION} sha256:abc 4 0\nbody`,
    'a short digest',
    /header is damaged or of another/,
  );
  await written(
    `MSS-LEDGER-CHECKPOINT ${CHECKPOINT_VERSION} sha256:${sha256(body)} ${body.length}\n`,
    'one length only (the format before 13)',
    /header is damaged or of another/,
  );
  await written(
    `MSS-LEDGER-CHECKPOINT 12 sha256:${sha256(body)} ${body.length}\n`,
    'an older format',
    /format 12, this version reads formats 13 and 14;/,
  );
  await written(` ${header}\n`, 'a space before the magic', /header is damaged or of another/);
  // Not a checkpoint of an older format: something else, which only names one further on.
  await written(
    `x${header.replace(/^MSS-LEDGER-CHECKPOINT \d+ /, 'MSS-LEDGER-CHECKPOINT 12 ')}\n${body.toString('latin1')}`,
    'a byte before the magic, then a format not read',
    /header is damaged or of another format;/,
  );
  await written(`${header} \n`, 'a space after the length', /header is damaged or of another/);
  await written(
    Buffer.concat([Buffer.from(header.replace(/ (\d+) 0$/, ' 0$1 0'), 'latin1'), Buffer.from('\n'), body]),
    'a leading zero on the length',
    /the header is damaged$|the header is damaged;/,
  );
  await written(
    withBody(body, CHECKPOINT_VERSION + 1),
    'a newer format',
    new RegExp(`format ${CHECKPOINT_VERSION + 1}, this version reads formats 13 and ${CHECKPOINT_VERSION};`),
  );
  await written(sound.subarray(0, sound.length - 1), 'one byte short', /body has \d+ bytes, the header says \d+/);
  await written(
    Buffer.concat([sound, Buffer.from('x')]),
    'one byte too many (the digest is of the body the header names)',
    new RegExp(`the body has ${body.length + 1} bytes, the header says ${body.length} `),
  );
  const flipped = Buffer.from(sound);
  flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 1;
  await written(flipped, 'a flipped bit', /checksum does not match/);
  await written(withBody(Buffer.from('not v8 at all')), 'a body V8 cannot read', /does not deserialise/);
  await written(withBody(serialize({ hello: 'world' })), 'a body of something else', /not a checkpoint of this/);
  await written(withBody(serialize(null)), 'a body of null', /not a checkpoint of this format/);
  await written(
    withBody(serialize({ format: 'mss-ledger-checkpoint', version: 12, kind: 'projector' })),
    'a body of an older version under a current header',
    /not a checkpoint of this format/,
  );

  writeFileSync(file, sound);
  await ignored('another kind of state', /it holds a projector, not a book/, store, 'book');
  await ignored('a store behind the checkpoint', /at position 20, beyond the store's head/, storeOf('first', 19));
  await ignored('another store', /made from another store/, storeOf('other', 500));
  await ignored('an empty store', /beyond the store's head|made from another store/, storeOf(undefined, 0));
  t.match((await load(file, 'projector', storeOf('first', 20))).checkpoint, { position: 20 }, 'a store at it: taken');

  // Format 13, as the version before this one wrote it (the same layout): still taken up.
  const format13 = {
    format: 'mss-ledger-checkpoint',
    version: 13,
    kind: 'projector',
    position: 20,
    firstEventId: 'first',
    savedAt: new Date().toISOString(),
    state: { folded: 20 },
  };
  writeFileSync(file, withBody(serialize(format13), 13));
  const older = await load(file, 'projector', store);
  t.same(older.lines, [], 'format 13: nothing to say');
  t.match(older.checkpoint, { version: 13, position: 20, state: { folded: 20 } }, 'format 13: taken up');

  rmSync(file);
  mkdirSync(file);
  await ignored('a folder where the file should be', /unreadable \(EISDIR/);
});

t.test(
  'typed arrays come back as views of one region that holds only them, each aligned, in every padding',
  async (t) => {
    const file = path.join(tempDir(t), 'projections.checkpoint');
    const store = storeOf('first', 10);
    // Buffers of 1 to 8 bytes before each array shift where it would fall through every alignment.
    const state = [1, 2, 3, 4, 5, 6, 7, 8].map((pad) => ({
      name: 'x'.repeat(pad * 3),
      pad: Buffer.alloc(pad, pad),
      large: Float64Array.from({ length: 600 }, (_, i) => i * pad),
      small: new Int32Array([pad, -pad, 2 ** 31 - pad]),
      bytes: new Uint16Array(pad).fill(65_535 - pad),
      empty: new Float64Array(0),
    }));
    const written = await saveCheckpoint(file, 'projector', 1, state, store);
    t.equal(written, readFileSync(file).length, 'the size written, arrays included, is returned');
    const arrayBytes = Number(/ (\d+)$/.exec(headerOf(readFileSync(file)))![1]);
    const { checkpoint } = await load(file, 'projector', store);
    const restored = checkpoint!.state as typeof state;
    const region = restored[0]!.large.buffer;
    t.equal(region.byteLength, arrayBytes, 'the region is just the arrays: the objects were read apart');
    for (const [i, got] of restored.entries()) {
      const pad = i + 1;
      t.equal(got.name, 'x'.repeat(pad * 3));
      t.ok(Buffer.isBuffer(got.pad), 'a Buffer is still a Buffer');
      t.same([...got.pad], Array(pad).fill(pad));
      t.type(got.large, Float64Array);
      t.same(
        [...got.large],
        Array.from({ length: 600 }, (_, j) => j * pad),
      );
      t.same([...got.small], [pad, -pad, 2 ** 31 - pad]);
      t.same([...got.bytes], Array(pad).fill(65_535 - pad));
      t.equal(got.empty.length, 0);
      for (const array of [got.pad, got.large, got.small, got.bytes, got.empty]) {
        t.equal(array.buffer, region, `pad ${pad}: a view of the region, not a copy`);
        t.equal(array.byteOffset % 8, 0, `pad ${pad}: aligned`);
      }
    }
    // Changing a restored array changes only that array.
    restored[0]!.large[0] = 42;
    t.same([restored[0]!.large[1], restored[1]!.large[0], restored[0]!.small[0]], [1, 0, 1]);

    const shared = { same: new Float64Array([1, 2]) };
    await saveCheckpoint(file, 'projector', 1, { a: shared.same, b: shared.same }, store);
    const twice = (await load(file, 'projector', store)).checkpoint!.state as { a: Float64Array; b: Float64Array };
    t.equal(twice.a, twice.b, 'one array named twice is written once and restored as one');
  },
);

t.test('a state holding a kind of array no checkpoint knows is refused at the save, naming it', async (t) => {
  const file = path.join(tempDir(t), 'projections.checkpoint');
  // A subclass would come back as its base class, without its methods: refused rather than changed.
  class Tagged extends Uint32Array {}
  await t.rejects(saveCheckpoint(file, 'projector', 1, { tagged: new Tagged(2) }, storeOf('first', 1)), {
    name: 'TypeError',
    message: /^a checkpoint cannot hold a Tagged$/,
  });
  t.notOk(existsSync(file), 'nothing written');
});

t.test('a file that shrinks while it is read, or fails to read, is an answer, never a rejection', async (t) => {
  const file = path.join(tempDir(t), 'projections.checkpoint');
  const store = storeOf('first', 10);
  await saveCheckpoint(file, 'projector', 1, { numbers: new Float64Array(1000).fill(7), name: 'x' }, store);
  const size = readFileSync(file).length;
  // Reads that stop short of the end the file had when it was measured (cut by someone meanwhile).
  let closed = 0;
  const cutAt = (end: number) => async (name: string) => {
    const handle = await fs.promises.open(name, 'r');
    return {
      stat: () => handle.stat(),
      close: async () => {
        closed++;
        await handle.close();
      },
      read: (into: Uint8Array, offset: number, length: number, position: number) =>
        handle.read(into, offset, Math.max(0, Math.min(length, end - position)), position),
    };
  };
  for (const end of [size - 1, size - 8001, 200]) {
    const read = await readCheckpointFile(file, Infinity, cutAt(end));
    t.match(read, { problem: /^the body has \d+ bytes, the header says \d+ \(truncated\?\)$/ }, `cut at ${end}`);
    const lines: string[] = [];
    const loaded = await loadCheckpoint(file, 'projector', store, {
      bytes: Promise.resolve(read),
      log: (l) => lines.push(l),
    });
    t.equal(loaded, undefined);
    t.match(lines, [/truncated/], 'with one line saying why');
  }
  t.match(await readCheckpointFile(file, Infinity, cutAt(size)), { digest: /^[0-9a-f]{64}$/ }, 'whole: read');
  t.equal(closed, 4, 'the file closed after each read, cut or whole');
  const failing = async () => ({
    stat: async () => ({ size }),
    close: async () => void closed++,
    read: async () => {
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    },
  });
  t.match(await readCheckpointFile(file, Infinity, failing), { error: { code: 'EIO' } }, 'a failed read: an error');
  t.equal(closed, 5, 'and the file still closed');
});

t.test('a checkpoint is written only for the store it was made from: an empty store has no first event', async (t) => {
  const file = path.join(tempDir(t), 'projections.checkpoint');
  await saveCheckpoint(file, 'projector', 0, {}, storeOf(undefined, 0));
  const { checkpoint, lines } = await load(file, 'projector', storeOf(undefined, 0));
  t.same(lines, []);
  t.match(checkpoint, { position: 0, firstEventId: undefined });
  t.match((await load(file, 'projector', storeOf('first', 5))).lines, [/made from another store/]);
});

t.test('a save that could not even create its temporary file removes nothing', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'projections.checkpoint');
  const removed: string[] = [];
  const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
  const error = await saveCheckpoint(file, 'projector', 1, {}, storeOf('first', 1), {
    fs: {
      ...fs,
      openSync: () => {
        throw denied;
      },
      rmSync: (target: fs.PathLike) => {
        removed.push(String(target));
      },
    },
  }).catch((e: unknown) => e);
  t.equal((error as CheckpointSaveError).code, 'EACCES');
  t.same(removed, [], 'a temporary file of the same name is not this save’s to remove');
});

t.test('a file beginning with an empty line has a damaged header, not a missing one', async (t) => {
  t.same(verifiedBody(Buffer.from('\nMSS-LEDGER-CHECKPOINT 1 sha256:00 1\n')), {
    problem: 'the header is damaged or of another format',
  });
  t.same(verifiedBody(Buffer.from('no newline at all')), {
    problem: 'no checkpoint header (an older format, or not a checkpoint)',
  });
});

t.test('without a log of its own, the line saying why a checkpoint was ignored goes to stderr', async (t) => {
  const file = path.join(tempDir(t), 'projections.checkpoint');
  writeFileSync(file, 'not a checkpoint');
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    t.equal(await loadCheckpoint<unknown>(file, 'projector', storeOf('first', 1)), undefined);
  } finally {
    process.stderr.write = write;
  }
  t.equal(written.length, 1, 'one write');
  t.ok(written[0]?.startsWith(`checkpoint ${file} ignored: `), 'naming the file');
  t.equal(written[0]?.indexOf('\n'), written[0]!.length - 1, 'one line, ended');
});

/** A sound checkpoint whose body holds typed arrays, and its lengths as its header gives them. */
async function withArrays(t: Test) {
  const file = path.join(tempDir(t), 'projections.checkpoint');
  const store = storeOf('first', 10);
  await saveCheckpoint(file, 'projector', 1, { name: 'x', numbers: new Float64Array(5_000).fill(7) }, store);
  const bytes = readFileSync(file);
  const [objectBytes, arrayBytes] = / (\d+) (\d+)$/.exec(headerOf(bytes))!.slice(1).map(Number) as [number, number];
  t.ok(arrayBytes > objectBytes && objectBytes > 0, 'objects and (more) arrays');
  return { file, store, bytes, objectBytes, arrayBytes, bodyBytes: objectBytes + arrayBytes };
}

t.test('a cut file is named with the bytes its body has and the bytes its header gives, arrays included', async (t) => {
  const { file, store, bytes, bodyBytes } = await withArrays(t);
  const why = `the body has ${bodyBytes - 1} bytes, the header says ${bodyBytes} (truncated?)`;
  const cut = bytes.subarray(0, bytes.length - 1);
  t.same(verifiedBody(cut), { problem: why });
  writeFileSync(file, cut);
  const { checkpoint, lines } = await load(file, 'projector', store);
  t.equal(checkpoint, undefined);
  t.same(lines, [`checkpoint ${file} ignored: ${why}; the log is replayed instead`]);
});

t.test('binding a checkpoint to its store reads the first event of the store, not its log', async (t) => {
  const file = path.join(tempDir(t), 'projections.checkpoint');
  // A store of 10,000 events, counting those it hands out.
  let handedOut = 0;
  const log = Array.from({ length: 10_000 }, (_, i) => ({ id: `event-${i + 1}`, globalPosition: i + 1 }));
  const store = {
    readAll: async (options?: { limit?: number }) => {
      const events = log.slice(0, options?.limit ?? log.length);
      handedOut += events.length;
      return events;
    },
    headPosition: async () => log.length,
  } as unknown as EventStore;
  await saveCheckpoint(file, 'projector', 10_000, { folded: true }, store);
  t.equal(handedOut, 1, 'the save reads one event');
  t.match(await loadCheckpoint(file, 'projector', store, { log: (line) => t.fail(line) }), { firstEventId: 'event-1' });
  t.equal(handedOut, 2, 'and so does the load');
});

t.test('a save whose folder is removed under it rejects with a CheckpointSaveError all the same', async (t) => {
  const dir = path.join(tempDir(t), 'data');
  const file = path.join(dir, 'projections.checkpoint');
  // An operator clears the data folder while the checkpoint is written: the rename finds nothing,
  // and the temporary file it would remove is gone with the folder.
  const error = await saveCheckpoint(file, 'projector', 1, { folded: 1 }, storeOf('first', 1), {
    fs: {
      ...fs,
      renameSync: (from: fs.PathLike, to: fs.PathLike) => {
        rmSync(dir, { recursive: true, force: true });
        fs.renameSync(from, to);
      },
    },
  }).catch((e: unknown) => e);
  t.type(error, CheckpointSaveError, 'the error a caller knows');
  t.equal((error as CheckpointSaveError).code, 'ENOENT');
  t.match((error as Error).message, /^checkpoint not saved to .*: ENOENT: no such file or directory, rename /);
  t.notOk(existsSync(dir), 'nothing written back');
});

t.test('a checkpoint file is read once: its header line, then its body, never the body twice', async (t) => {
  const { file, bytes } = await withArrays(t);
  let read = 0;
  const counting = async (name: string): Promise<ReadableFile> => {
    const handle = await fs.promises.open(name, 'r');
    return {
      stat: () => handle.stat(),
      close: () => handle.close(),
      read: async (into: Uint8Array, offset: number, length: number, position: number) => {
        const done = await handle.read(into, offset, length, position);
        read += done.bytesRead;
        return done;
      },
    };
  };
  t.match(await readCheckpointFile(file, Infinity, counting), { digest: /^[0-9a-f]{64}$/ });
  // The header is read in a piece of at most 128 bytes, which may take the body's first bytes too.
  t.ok(read >= bytes.length && read <= bytes.length + 128, `${read} bytes read of a file of ${bytes.length}`);
});

/** The file a reader opens: a header naming a body of `bodyBytes` (objects only), then that many zeros. */
const fileOfBody = (bodyBytes: number) => async (): Promise<ReadableFile> => {
  const head = Buffer.from(`MSS-LEDGER-CHECKPOINT ${CHECKPOINT_VERSION} sha256:${'0'.repeat(64)} ${bodyBytes} 0\n`);
  return {
    stat: async () => ({ size: head.length + bodyBytes }),
    close: async () => undefined,
    read: async (into: Uint8Array, offset: number, length: number, position: number) => {
      const end = Math.min(position + length, head.length + bodyBytes);
      if (end <= position) return { bytesRead: 0 };
      into.fill(0, offset, offset + end - position);
      if (position < head.length) into.set(head.subarray(position, Math.min(end, head.length)), offset);
      return { bytesRead: end - position };
    },
  };
};

const isShared = (read: Awaited<ReturnType<typeof readCheckpointFile>>) =>
  'objects' in read &&
  read.objects.buffer instanceof SharedArrayBuffer &&
  read.arrays.buffer instanceof SharedArrayBuffer;

t.test('a body is read into shared memory (for its digest thread) from a size counting its arrays too', async (t) => {
  const { file, bodyBytes } = await withArrays(t);
  t.ok(isShared(await readCheckpointFile(file, bodyBytes)), 'a body of objects and arrays at the threshold: shared');
  t.notOk(isShared(await readCheckpointFile(file, bodyBytes + 1)), 'one byte under it: not');

  // The default threshold: 16 MiB.
  const MiB = 1024 * 1024;
  const under = await readCheckpointFile('under', undefined, fileOfBody(16 * MiB - 1));
  t.match(under, { digest: '0'.repeat(64) }, 'read');
  t.notOk(isShared(under), 'by default, a body of 16 MiB less a byte: not shared');
  t.ok(isShared(await readCheckpointFile('at', undefined, fileOfBody(16 * MiB))), 'a body of 16 MiB: shared');
});
