/**
 * A restart starts from the checkpoint a clean stop left, folds only what
 * came after, and answers exactly like a full replay. A checkpoint that does
 * not belong to the store, or is damaged, is ignored.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { custodyAt } from '../../projections/custody.js';
import { inventoryView } from '../../projections/inventory.js';
import { personnelView } from '../../projections/personnel.js';
import { shipmentAt, shipmentIds, shipmentLedgerOf } from '../../projections/shipments.js';
import { LedgerWriter } from '../../src/ledger/writer.js';
import { loadCheckpoint, readCheckpointFile, saveCheckpoint } from '../../src/read/checkpoint.js';
import { Projector, type ProjectorExport } from '../../src/read/projector.js';
import { saveProjectorCheckpoint, seedMissionHistory, seedSynthetic, startLedger } from '../../src/service.js';
import type { EventStore } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { events } from '../store/contract.js';

const NOW = Number.MAX_SAFE_INTEGER;
const answers = (p: Projector) => {
  const now = p.slice(undefined, undefined);
  const past = p.slice(Date.parse('2025-01-01T00:00:00Z'), Date.parse('2025-06-01T00:00:00Z'));
  return JSON.stringify([
    inventoryView(p.sum('inventory', now), p.state.catalog),
    personnelView(p.sum('personnel', now)),
    inventoryView(p.sum('inventory', past), p.state.catalog),
    // Every shipment and every serial (the synthetic history carries serials in small lots).
    shipmentIds(p.state.shipmentHistories).map((id) => shipmentAt(p.state.shipmentHistories, id, NOW, NOW)),
    shipmentIds(p.state.shipmentHistories).map((id) => shipmentLedgerOf(p.state.shipmentHistories, id)),
    p.state.custody.log.keys().map((serial) => custodyAt(p.state.custody, serial, NOW, NOW)),
    p.state.position,
  ]);
};

/** A data directory of the test's own, removed after it: the store's file and the checkpoints' beside it. */
function dataDir(t: Test) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-ledger-checkpoint-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    file: path.join(dir, 'ledger.sqlite'),
    checkpointFile: path.join(dir, 'projections.checkpoint'),
    bookFile: path.join(dir, 'projections.book.checkpoint'),
  };
}

t.test('restart from a checkpoint', async (t) => {
  const { file, checkpointFile } = dataDir(t);

  const first = await startLedger(openSqliteStore({ file }), { checkpointFile });
  t.equal(first.projector.restoredFrom, undefined, 'no checkpoint on the first start');
  t.equal(first.foldedAtStart, 0, 'an empty store: nothing folded at start');
  await seedMissionHistory(first);
  await seedSynthetic(first.writer, 3000, 7);
  await first.projector.waitFor(await first.store.headPosition(), 5000);
  const saved = first.projector.state.position;
  await first.close();

  // Events recorded while the service was down (another replica, or the seed command).
  const between = await startLedger(openSqliteStore({ file }));
  t.equal(between.foldedAtStart, saved, 'without a checkpoint, the whole log is folded at start');
  await seedSynthetic(between.writer, 500, 8);
  const head = await between.store.headPosition();
  await between.close();

  const second = await startLedger(openSqliteStore({ file }), { checkpointFile });
  t.teardown(() => second.close());
  t.equal(second.projector.restoredFrom, saved, 'started from the checkpoint');
  t.ok(second.projector.state.position > saved, 'and folded what came after');
  t.equal(second.foldedAtStart, head - saved, 'only the tail after the checkpoint is folded at start');
  const replay = new Projector(second.store);
  await replay.start();
  t.teardown(() => replay.close());
  t.equal(answers(second.projector), answers(replay), 'answers equal a full replay');
  t.ok(second.projector.state.custody.log.size > 0, 'with serials to follow');

  // The writer's book came back too, and caught up with the same events.
  const fresh = new LedgerWriter(second.store);
  await fresh.start();
  t.teardown(() => fresh.close());
  t.equal(second.writer.book.position, fresh.book.position, 'the restored book reached the head');
  t.same([...second.writer.book.stock].sort(), [...fresh.book.stock].sort(), 'with the same stock as a full replay');
  t.same([...second.writer.book.headcount].sort(), [...fresh.book.headcount].sort(), 'and the same headcount');
});

t.test(
  'a stop with nothing folded since start leaves the checkpoints as they were, unless one was removed',
  async (t) => {
    const { file, checkpointFile, bookFile } = dataDir(t);
    const first = await startLedger(openSqliteStore({ file }), { checkpointFile });
    await seedMissionHistory(first);
    await first.projector.waitFor(await first.store.headPosition(), 5000);
    await first.close();
    const written = [statSync(checkpointFile, { bigint: true }).mtimeNs, statSync(bookFile, { bigint: true }).mtimeNs];

    const idle = await startLedger(openSqliteStore({ file }), { checkpointFile });
    t.ok(idle.projector.restoredFrom, 'restored');
    await idle.close();
    t.same(
      [statSync(checkpointFile, { bigint: true }).mtimeNs, statSync(bookFile, { bigint: true }).mtimeNs],
      written,
      'neither file was written again',
    );

    // Removed while the service runs (an operator clearing space): the stop writes it again.
    const again = await startLedger(openSqliteStore({ file }), { checkpointFile });
    rmSync(checkpointFile);
    await again.close();
    const third = await startLedger(openSqliteStore({ file }), { checkpointFile });
    t.teardown(() => third.close());
    t.equal(third.projector.restoredFrom, await third.store.headPosition(), 'the stop wrote it again');
  },
);

t.test(
  'a start that folds a long log writes its checkpoints before it resolves, not only at a clean stop',
  async (t) => {
    const { file, checkpointFile, bookFile } = dataDir(t);
    const recording = await startLedger(openSqliteStore({ file }));
    await seedMissionHistory(recording);
    await seedSynthetic(recording.writer, 1500, 11);
    const head = await recording.store.headPosition();
    await recording.close();

    // Below the threshold (the default: 200,000 events), the checkpoints wait for the stop.
    const short = await startLedger(openSqliteStore({ file }), { checkpointFile });
    t.equal(short.foldedAtStart, head);
    t.notOk(existsSync(checkpointFile), 'no checkpoint before the stop');
    await short.close();
    rmSync(checkpointFile);
    rmSync(bookFile);

    const long = await startLedger(openSqliteStore({ file }), { checkpointFile, checkpointAfterFolding: head });
    t.equal(long.foldedAtStart, head);
    t.ok(existsSync(checkpointFile) && existsSync(bookFile), 'both written before the start resolved');
    const written = [statSync(checkpointFile, { bigint: true }).mtimeNs, statSync(bookFile, { bigint: true }).mtimeNs];

    // The process dies without a clean stop: the next start still folds nothing.
    const afterCrash = await startLedger(openSqliteStore({ file }), { checkpointFile });
    t.equal(afterCrash.projector.restoredFrom, head, 'restored from the checkpoint the start wrote');
    t.equal(afterCrash.foldedAtStart, 0);
    t.equal(afterCrash.writer.book.position, head, 'the book too');
    await afterCrash.close();
    await long.close();
    t.same(
      [statSync(checkpointFile, { bigint: true }).mtimeNs, statSync(bookFile, { bigint: true }).mtimeNs],
      written,
      'nothing folded since: the stops wrote neither again',
    );
  },
);

t.test('a checkpoint from another store, or a damaged one, is ignored', async (t) => {
  const { dir, checkpointFile } = dataDir(t);
  const a = await startLedger(openSqliteStore({ file: path.join(dir, 'a.sqlite') }), { checkpointFile });
  await seedMissionHistory(a);
  await a.projector.waitFor(await a.store.headPosition(), 5000);
  await a.close();

  const b = await startLedger(openSqliteStore({ file: path.join(dir, 'b.sqlite') }), { checkpointFile });
  t.equal(b.projector.restoredFrom, undefined, 'an empty store does not take another store’s checkpoint');
  await b.close();

  writeFileSync(checkpointFile, 'not a checkpoint');
  const c = await startLedger(openSqliteStore({ file: path.join(dir, 'a.sqlite') }), { checkpointFile });
  t.teardown(() => c.close());
  t.equal(c.projector.restoredFrom, undefined, 'a damaged checkpoint is ignored');
  t.ok(c.projector.state.position > 0, 'and the log is replayed instead');
});

t.test('a checkpoint is refused by a store it does not describe, each guard on its own', async (t) => {
  const { dir, checkpointFile } = dataDir(t);
  const append = (store: EventStore, n: number) => store.append('ledger', events(n), 'any');

  // A store of 3 events, backed up, then 2 more recorded; the checkpoint is made at 5.
  const file = path.join(dir, 'a.sqlite');
  const a0 = openSqliteStore({ file });
  await append(a0, 3);
  await a0.close();
  copyFileSync(file, path.join(dir, 'backup.sqlite'));
  const a = openSqliteStore({ file });
  t.teardown(() => a.close());
  await append(a, 2);
  await saveCheckpoint(checkpointFile, 'projections', 5, { folded: 5 }, a);
  t.match(await loadCheckpoint(checkpointFile, 'projections', a), { position: 5 }, 'its own store takes it');
  t.equal(await loadCheckpoint(checkpointFile, 'writer', a), undefined, 'as the state it is, not another kind');

  const backup = openSqliteStore({ file: path.join(dir, 'backup.sqlite') });
  t.teardown(() => backup.close());
  t.equal(await backup.headPosition(), 3, 'the backup starts with the same events, fewer of them');
  t.equal(await loadCheckpoint(checkpointFile, 'projections', backup), undefined, 'a checkpoint ahead of its store');

  const other = openSqliteStore({ file: path.join(dir, 'other.sqlite') });
  t.teardown(() => other.close());
  await append(other, 6);
  t.equal(
    await loadCheckpoint(checkpointFile, 'projections', other),
    undefined,
    'another store, even one holding more events',
  );
});

t.test('a checkpoint read started early: its bytes are the ones restored, checked as any', async (t) => {
  const { dir } = dataDir(t);
  const store = openSqliteStore({ file: path.join(dir, 'ledger.sqlite') });
  t.teardown(() => store.close());
  await store.append('ledger', events(4), 'any');
  const file = path.join(dir, 'projections.checkpoint');
  await saveCheckpoint(file, 'projections', 4, { folded: 4 }, store);
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);

  // Read as a start reads it (before the store is opened), then the file goes: what was read is used.
  for (const shared of [false, true]) {
    const early = readCheckpointFile(file, shared ? 0 : Number.MAX_SAFE_INTEGER);
    const read = await early;
    t.equal(
      'objects' in read &&
        read.objects.buffer instanceof SharedArrayBuffer &&
        read.arrays.buffer instanceof SharedArrayBuffer,
      shared,
      `shared: ${shared}`,
    );
    rmSync(`${file}.moved`, { force: true });
    copyFileSync(file, `${file}.moved`);
    rmSync(file);
    t.match(await loadCheckpoint(file, 'projections', store, { bytes: early, log }), {
      position: 4,
      state: { folded: 4 },
    });
    copyFileSync(`${file}.moved`, file);
  }
  // The threshold is inclusive: a body of exactly that many bytes is read into shared memory.
  const bodyBytes = statSync(file).size - (readFileSync(file).indexOf(10) + 1);
  const atThreshold = await readCheckpointFile(file, bodyBytes);
  t.ok(
    'objects' in atThreshold && atThreshold.objects.buffer instanceof SharedArrayBuffer,
    'a body at the threshold: shared',
  );
  const belowThreshold = await readCheckpointFile(file, bodyBytes + 1);
  t.ok(
    'objects' in belowThreshold && !(belowThreshold.objects.buffer instanceof SharedArrayBuffer),
    'one byte under: not',
  );
  // The same guards as a read made then: another kind, damaged bytes.
  t.equal(await loadCheckpoint(file, 'writer', store, { bytes: readCheckpointFile(file), log }), undefined);
  const damaged = readCheckpointFile(file).then((read) => {
    if ('objects' in read) read.objects[read.objects.length - 1]! ^= 1;
    return read;
  });
  t.equal(await loadCheckpoint(file, 'projections', store, { bytes: damaged, log }), undefined, 'damaged: ignored');
  t.match(lines.at(-1), /checksum does not match/, 'with one line saying why');

  // A read that failed: no file is quiet (a first start), any other failure is one line; never a rejection.
  const missing = readCheckpointFile(path.join(dir, 'none.checkpoint'));
  t.match(await missing, { error: { code: 'ENOENT' } }, 'a missing file is an answer, not a rejection');
  const before = lines.length;
  t.equal(await loadCheckpoint(file, 'projections', store, { bytes: missing, log }), undefined);
  t.equal(lines.length, before, 'no file: no line');
  const unreadable = readCheckpointFile(dir); // a directory: EISDIR
  t.equal(await loadCheckpoint(file, 'projections', store, { bytes: unreadable, log }), undefined);
  t.match(lines.at(-1), /ignored: unreadable \(EISDIR/, 'unreadable: one line naming the error');
});

t.test('a stop that cannot read the store to bind its checkpoints still closes it and runs the hook', async (t) => {
  const { file, checkpointFile, bookFile } = dataDir(t);
  const real = openSqliteStore({ file });
  let failReads = false;
  // The store answers until the stop, then its reads fail (a store gone bad under the service).
  const store = new Proxy(real, {
    get(target, name, receiver) {
      if (name === 'readAll' && failReads) return () => Promise.reject(new Error('disk I/O error'));
      const value = Reflect.get(target, name, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as EventStore;
  const warnings: string[] = [];
  const logger = { warn: (_: unknown, message: string) => warnings.push(message), info: () => undefined };
  const ledger = await startLedger(store, { checkpointFile, logger: logger as never });
  await seedMissionHistory(ledger);
  failReads = true;
  let hookRan = false;
  await ledger.close(async () => {
    hookRan = true;
  });
  t.ok(hookRan, 'the step after the store closed (the log saving its tree) runs');
  t.same(warnings, ['checkpoint not saved: the next start replays the log'], 'one line says why');
  t.notOk(existsSync(checkpointFile), 'no projections checkpoint bound to nothing');
  t.notOk(existsSync(bookFile), 'nor a book checkpoint');
  // The store was closed: a new one opens the file and the next start replays the whole history.
  const again = await startLedger(openSqliteStore({ file }), { checkpointFile });
  t.equal(again.projector.restoredFrom, undefined, 'nothing to restore');
  t.ok(again.foldedAtStart > 0, 'the history is folded again');
  await again.close();
});

t.test('a fold while a save reads its store binding is in the checkpoint whole, or not at all', async (t) => {
  // The export holds views of the keyed logs, and an append links a key's last record to the new one
  // in place: something folded between the export and the write would leave a link past the data saved.
  const file = dataDir(t).checkpointFile;
  const store = openSqliteStore({ file: ':memory:' });
  t.teardown(() => store.close());
  const projector = new Projector(store);
  const log = projector.state.custody.log;
  log.append('SERIAL-1', [1, 2]);
  const binding = {
    readAll: async () => {
      log.append('SERIAL-1', [3]); // as if the subscription folded an event while the binding was read
      return [];
    },
    headPosition: async () => 0,
  };
  await saveProjectorCheckpoint(file, projector, binding);
  const loaded = await loadCheckpoint<ProjectorExport>(file, 'projector', binding as unknown as EventStore);
  t.ok(loaded, 'the checkpoint is taken up');
  const restored = new Projector(store);
  restored.restore(loaded!.state);
  t.same(restored.state.custody.log.records('SERIAL-1'), [[1, 2], [3]], "the serial's records, linked as folded");
});
