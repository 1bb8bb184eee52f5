/**
 * A checkpoint is trusted only when its checksum says it is the file that was written: a
 * truncated file, one bit flipped anywhere (header or body), or an edited header is logged in
 * one line and ignored, and the service answers from a replay of the log. A save that fails
 * (a full disk) leaves no temporary file and rejects with an error the caller can log.
 */
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { inventoryView } from '../../projections/inventory.js';
import { personnelView } from '../../projections/personnel.js';
import { LedgerWriter } from '../../src/ledger/writer.js';
import {
  CHECKPOINT_VERSION,
  CheckpointSaveError,
  loadCheckpoint,
  saveCheckpoint,
  verifiedBody,
} from '../../src/read/checkpoint.js';
import { Projector } from '../../src/read/projector.js';
import { seedMissionHistory, seedSynthetic, startLedger } from '../../src/service.js';
import { openSqliteStore } from '../../src/store/sqlite.js';

const figures = (p: Projector) =>
  JSON.stringify([
    inventoryView(p.sum('inventory', p.slice(undefined, undefined)), p.state.catalog),
    personnelView(p.sum('personnel', p.slice(undefined, undefined))),
    p.state.position,
  ]);

/** A data directory whose clean stop left real checkpoints of the mission's history and some synthetic events. */
async function stoppedLedger(t: Test) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-ledger-checkpoint-integrity-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'ledger.sqlite');
  const checkpointFile = path.join(dir, 'projections.checkpoint');
  const ledger = await startLedger(openSqliteStore({ file }), { checkpointFile });
  await seedMissionHistory(ledger);
  await seedSynthetic(ledger.writer, 300, 3);
  await ledger.projector.waitFor(await ledger.store.headPosition(), 5000);
  await ledger.close();
  const bookFile = path.join(dir, 'projections.book.checkpoint');
  return {
    file,
    checkpointFile,
    bookFile,
    projectorBytes: readFileSync(checkpointFile),
    bookBytes: readFileSync(bookFile),
  };
}

const flip = (bytes: Buffer, offset: number, bit: number) => {
  const copy = Buffer.from(bytes);
  copy[offset] = copy[offset]! ^ (1 << bit);
  return copy;
};

t.test('a sound checkpoint verifies and is restored', async (t) => {
  const { file, checkpointFile, projectorBytes } = await stoppedLedger(t);
  t.match(
    projectorBytes.subarray(0, 200).toString('latin1'),
    new RegExp(`^MSS-LEDGER-CHECKPOINT ${CHECKPOINT_VERSION} sha256:[0-9a-f]{64} \\d+ \\d+\\n`),
  );
  t.ok('body' in verifiedBody(projectorBytes), 'the header matches the body');
  const store = openSqliteStore({ file });
  t.teardown(() => store.close());
  const lines: string[] = [];
  t.ok(await loadCheckpoint(checkpointFile, 'projector', store, { log: (l) => lines.push(l) }), 'trusted');
  t.same(lines, [], 'and nothing logged');
});

t.test('truncated, bit-flipped or edited checkpoints are detected, logged once and ignored', async (t) => {
  const { file, checkpointFile, bookFile, projectorBytes, bookBytes } = await stoppedLedger(t);
  const store = openSqliteStore({ file });
  t.teardown(() => store.close());
  const headerLength = projectorBytes.indexOf(10) + 1;

  const rejected = async (bytes: Buffer, target = checkpointFile, kind = 'projector') => {
    writeFileSync(target, bytes);
    const lines: string[] = [];
    const loaded = await loadCheckpoint(target, kind, store, { log: (l) => lines.push(l) });
    return loaded === undefined && lines.length === 1 && lines[0]!.includes(target) ? lines[0]! : undefined;
  };

  // Every bit of the header, and random bits of the body.
  for (let offset = 0; offset < headerLength; offset++)
    for (let bit = 0; bit < 8; bit++)
      if (!(await rejected(flip(projectorBytes, offset, bit))))
        t.fail(`a flipped bit ${bit} at header offset ${offset} was trusted`);
  t.pass(`all ${headerLength * 8} single-bit flips of the header are refused`);

  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: projectorBytes.length - 1 }), fc.nat(7), async (offset, bit) => {
      return (await rejected(flip(projectorBytes, offset, bit))) !== undefined;
    }),
    { numRuns: 200, seed: 9 },
  );
  t.pass('200 random single-bit flips anywhere in the projector checkpoint are refused');
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: bookBytes.length - 1 }), fc.nat(7), async (offset, bit) => {
      return (await rejected(flip(bookBytes, offset, bit), bookFile, 'book')) !== undefined;
    }),
    { numRuns: 100, seed: 10 },
  );
  t.pass('and 100 in the book checkpoint');

  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: projectorBytes.length - 1 }), async (length) => {
      return (await rejected(projectorBytes.subarray(0, length))) !== undefined;
    }),
    { numRuns: 100, seed: 11 },
  );
  t.pass('100 truncations at random lengths are refused');

  t.match(await rejected(projectorBytes.subarray(0, projectorBytes.length - 1)), /truncated/, 'one byte short');
  t.match(await rejected(Buffer.concat([projectorBytes, Buffer.from([0])])), /the header says/, 'one byte extra');
  t.match(await rejected(flip(projectorBytes, projectorBytes.length - 1, 0)), /checksum does not match/);
  // An edited header: another (valid-looking) digest, another version, uppercase hex.
  const text = projectorBytes.subarray(0, headerLength).toString('latin1');
  const withHeader = (h: string) => Buffer.concat([Buffer.from(h, 'latin1'), projectorBytes.subarray(headerLength)]);
  t.match(await rejected(withHeader(text.replace(/sha256:[0-9a-f]{64}/, `sha256:${'0'.repeat(64)}`))), /checksum/);
  t.match(
    await rejected(withHeader(text.replace(` ${CHECKPOINT_VERSION} `, ' 12 '))),
    /format 12, this version reads formats 13 and 14/,
  );
  t.match(await rejected(withHeader(text.toUpperCase())), /damaged/);
  t.match(await rejected(Buffer.from('not a checkpoint')), /no checkpoint header/);
  t.match(await rejected(Buffer.alloc(0)), /no checkpoint header/);
});

t.test('a service started on a damaged checkpoint answers exactly like a replay', async (t) => {
  const { file, checkpointFile, bookFile, projectorBytes, bookBytes } = await stoppedLedger(t);
  const damages: [string, Buffer, Buffer][] = [
    ['truncated to half', projectorBytes.subarray(0, projectorBytes.length >> 1), bookBytes.subarray(0, 10)],
    ['one bit flipped mid-body', flip(projectorBytes, projectorBytes.length >> 1, 3), flip(bookBytes, 200, 0)],
    ['last byte flipped', flip(projectorBytes, projectorBytes.length - 1, 7), flip(bookBytes, bookBytes.length - 1, 7)],
  ];
  const replayStore = openSqliteStore({ file });
  t.teardown(() => replayStore.close());
  const replay = new Projector(replayStore);
  await replay.start();
  t.teardown(() => replay.close());
  const fresh = new LedgerWriter(replayStore);
  await fresh.start();
  t.teardown(() => fresh.close());
  for (const [what, projector, book] of damages) {
    writeFileSync(checkpointFile, projector);
    writeFileSync(bookFile, book);
    const ledger = await startLedger(openSqliteStore({ file }), { checkpointFile });
    t.equal(ledger.projector.restoredFrom, undefined, `${what}: the projections are not restored from it`);
    t.equal(figures(ledger.projector), figures(replay), `${what}: the figures equal a replay`);
    t.same([...ledger.writer.book.stock], [...fresh.book.stock], `${what}: the book equals a replay`);
    t.equal(ledger.writer.book.amountRecorded, fresh.book.amountRecorded);
    // Closing writes a sound checkpoint again, which the next start takes.
    await ledger.close();
    const again = await startLedger(openSqliteStore({ file }), { checkpointFile });
    t.equal(again.projector.restoredFrom, again.projector.state.position, `${what}: the next start restores`);
    t.equal(again.writer.book.amountRecorded, fresh.book.amountRecorded, 'with the running total of the book');
    await again.close();
  }
});

t.test('a save that fails leaves no temporary file and rejects with an error to log', async (t) => {
  const { file, checkpointFile, projectorBytes } = await stoppedLedger(t);
  const store = openSqliteStore({ file });
  t.teardown(() => store.close());
  const temporary = `${checkpointFile}.tmp`;

  // A full disk as the kernel reports it: /dev/full answers every write with ENOSPC.
  if (existsSync('/dev/full')) {
    symlinkSync('/dev/full', temporary);
    const error = await saveCheckpoint(checkpointFile, 'projector', 1, { big: 'x'.repeat(1000) }, store).catch(
      (e: unknown) => e,
    );
    t.type(error, CheckpointSaveError);
    t.equal((error as CheckpointSaveError).code, 'ENOSPC', 'the code says the disk is full');
    t.match((error as Error).message, /checkpoint not saved to .*projections\.checkpoint: ENOSPC/);
    t.notOk(lstatSync(temporary, { throwIfNoEntry: false }), 'the temporary file is gone');
    t.same(readFileSync(checkpointFile), projectorBytes, 'the previous checkpoint is untouched');
  } else t.comment('no /dev/full on this system: only the stubbed full disk is tried');

  // The same through a stubbed file system: the write fails after the temporary file was created.
  const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const failing = {
    ...fs,
    writeSync: () => {
      throw full;
    },
  };
  const error = await saveCheckpoint(checkpointFile, 'projector', 1, {}, store, { fs: failing }).catch(
    (e: unknown) => e,
  );
  t.type(error, CheckpointSaveError);
  t.equal((error as CheckpointSaveError).cause, full, 'the cause is kept');
  t.notOk(existsSync(temporary), 'no temporary file is left');
  t.same(readFileSync(checkpointFile), projectorBytes, 'the previous checkpoint is untouched');

  // A rename that fails (read-only directory, say) cleans up too.
  const stuck = {
    ...fs,
    renameSync: () => {
      throw Object.assign(new Error('EROFS: read-only file system, rename'), { code: 'EROFS' });
    },
  };
  const renameError = await saveCheckpoint(checkpointFile, 'projector', 1, {}, store, { fs: stuck }).catch(
    (e: unknown) => e,
  );
  t.equal((renameError as CheckpointSaveError).code, 'EROFS');
  t.notOk(existsSync(temporary), 'no temporary file is left');
});
