/**
 * A store edited behind the service's back is caught, naming the first bad
 * event: by the service's own check (what /ready and `verify --store` run)
 * and by an auditor's offline verifier on an export. Events beyond the last
 * checkpoint (a group committed but not signed, or a row added by hand) are
 * an unsigned tail, never tampering of signed history. On the embedded store
 * a group and its checkpoint are committed together.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { verifyOffline } from '../../src/cli/verify.js';
import { exportLine } from '../../src/log/leaf.js';
import { devKeyFile, loadSigner } from '../../src/log/keys.js';
import { LedgerLog, type LogStatus } from '../../src/log/ledger-log.js';
import type { Signer } from '../../src/log/note.js';
import { checkpointStorageFor, openLog, savedTreeFor } from '../../src/log/open.js';
import { treeFileFor } from '../../src/log/tree-file.js';
import { storeFileStamp } from '../../src/log/tree-file.js';
import { recomputeTree, recomputeTreeOffThread } from '../../src/log/tree-of-store.js';
import { EXIT, VerificationError } from '../../src/log/verify.js';
import type { IncomingEvent } from '../../events/index.js';
import { toProposal } from '../../src/http/routes/events.js';
import { seedMissionHistory, startLedger } from '../../src/service.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { openLogLedger, tempDir } from './support.js';

const run = promisify(execFile);

const transfer = (value: number) => ({
  type: 'MaterielTransferred',
  occurredAt: '2025-03-01',
  data: { from: 'mss', to: 'hnp', lines: [{ itemType: 'firearm-assorted', quantity: { value } }] },
});

const TRIGGERS = ['events_no_update', 'events_no_delete', 'events_no_replace_indexed'];

t.test('tampering with a copy of the store', async (t) => {
  const dir = tempDir(t);
  const original = path.join(dir, 'original');
  mkdirSync(original);
  const ledger = await openLogLedger(original);
  await seedMissionHistory(ledger.ledger);
  // An auditor saves each checkpoint as it polls: single-event writes, one checkpoint each.
  const saved: string[] = [];
  for (let i = 1; i <= 6; i++) {
    const posted = await ledger.inject('recorder', { method: 'POST', url: '/v1/events', payload: transfer(i) });
    t.equal(posted.statusCode, 201);
    const file = path.join(dir, `checkpoint-${i}.txt`);
    writeFileSync(file, (await ledger.inject('auditor', { method: 'GET', url: '/v1/log/checkpoint' })).body);
    saved.push(file);
  }
  const keyFile = path.join(dir, 'ledger.pub');
  writeFileSync(keyFile, (await ledger.inject('auditor', { method: 'GET', url: '/v1/log/key' })).body);
  const head = await ledger.store.headPosition();
  await ledger.close();
  const latest = saved[saved.length - 1]!;
  const target = head - 3; // one of the posted transfers, signed by its own checkpoint

  /** A copy of the store with one edit made by someone holding the file, triggers put back after. */
  async function tampered(name: string, edit: (db: Database.Database) => void) {
    const copy = path.join(dir, name);
    mkdirSync(copy);
    copyFileSync(path.join(original, 'ledger.sqlite'), path.join(copy, 'ledger.sqlite'));
    copyFileSync(devKeyFile(original), devKeyFile(copy));
    // The tree the service saved at its stop comes along: it must not hide the edit.
    copyFileSync(treeFileFor(path.join(original, 'ledger.sqlite')), treeFileFor(path.join(copy, 'ledger.sqlite')));
    const db = new Database(path.join(copy, 'ledger.sqlite'));
    for (const trigger of TRIGGERS) db.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
    edit(db);
    db.close();
    // Opening the store puts the triggers back.
    const savedTree = await savedTreeFor({ DATA_DIR: copy });
    const store = openSqliteStore({ file: path.join(copy, 'ledger.sqlite') });
    // The tree is made on the second thread, as on a large store; it must be the tree made here.
    const here = await recomputeTree(store);
    const there = await recomputeTreeOffThread(store, path.join(copy, 'ledger.sqlite'));
    t.equal(there.thread, 'second', `${name}: the tree made on the second thread`);
    t.same(
      [there.tree.root(), there.structural],
      [here.tree.root(), here.structural],
      `${name}: is the tree made here`,
    );
    const log = await LedgerLog.open(store, {
      treeThread: 'always',
      savedTree,
      signer: loadSigner({ NODE_ENV: 'test', DATA_DIR: copy }),
      storage: await checkpointStorageFor(store),
      treeFile: treeFileFor(path.join(copy, 'ledger.sqlite')),
    });
    t.equal(log.source, 'store', 'the saved tree is not used for a file that changed');
    const exportFile = path.join(copy, 'export.ndjson');
    writeFileSync(exportFile, (await store.readAll()).map((e) => `${exportLine(e)}\n`).join(''));
    const status = log.status;
    const idAt = async (position: number) => (await store.readAll({ after: position - 1, limit: 1 }))[0]?.id;
    const ids = { at: idAt };
    await log.close();
    const offline = await verifyOffline(
      { export: exportFile, checkpoint: latest, key: keyFile, consistentWith: saved.slice(0, -1) },
      () => {},
    ).then(
      () => undefined,
      (error: unknown) => error as VerificationError,
    );
    return { status, offline, copy, ids, store };
  }

  const expectTampered = (t: Test, status: LogStatus, position: number) => {
    t.equal(status.state, 'tampered');
    if (status.state === 'tampered') t.equal(status.position, position, `names position ${position}: ${status.reason}`);
  };

  await t.test('a field changed', async (t) => {
    const r = await tampered('changed', (db) =>
      db
        .prepare('UPDATE events SET data = replace(data, \'"value":3\', \'"value":300\') WHERE position = ?')
        .run(target),
    );
    expectTampered(t, r.status, target);
    if (r.status.state === 'tampered') t.equal(r.status.id, await r.ids.at(target));
    t.equal(r.offline?.code, EXIT.exportMismatch);
    t.match(r.offline?.message, `first bad event at position ${target} `);
    await r.store.close();
  });

  await t.test('a row deleted', async (t) => {
    const r = await tampered('deleted', (db) => db.prepare('DELETE FROM events WHERE position = ?').run(target));
    // The event now in its place is the first that does not match: its revision jumps.
    expectTampered(t, r.status, target + 1);
    if (r.status.state === 'tampered') t.match(r.status.reason, /jumps from revision/);
    t.equal(r.offline?.code, EXIT.exportMismatch);
    t.match(r.offline?.message, `position ${target + 1} `);
    await r.store.close();
  });

  await t.test('two rows swapped', async (t) => {
    const r = await tampered('swapped', (db) => {
      const cols =
        'id, stream, stream_revision, type, schema_version, occurred_at, recorded_at, recorded_by, data, metadata';
      const a = db.prepare(`SELECT ${cols} FROM events WHERE position = ?`).get(target) as Record<string, unknown>;
      const b = db.prepare(`SELECT ${cols} FROM events WHERE position = ?`).get(target + 1) as Record<string, unknown>;
      db.prepare("UPDATE events SET id = 'tmp', stream_revision = -1 WHERE position = ?").run(target);
      const set = cols
        .split(', ')
        .map((c) => `${c} = @${c}`)
        .join(', ');
      db.prepare(`UPDATE events SET ${set} WHERE position = ${target + 1}`).run(a);
      db.prepare(`UPDATE events SET ${set} WHERE position = ${target}`).run(b);
    });
    expectTampered(t, r.status, target);
    t.equal(r.offline?.code, EXIT.exportMismatch);
    t.match(r.offline?.message, `position ${target} `);
    await r.store.close();
  });

  await t.test('a forged event inserted in the middle, everything after renumbered', async (t) => {
    const r = await tampered('inserted', (db) => {
      const row = db.prepare('SELECT * FROM events WHERE position = ?').get(target) as Record<string, unknown>;
      db.exec(`UPDATE events SET position = position + 1000000 WHERE position >= ${target}`);
      db.exec(`UPDATE events SET position = position - 999999 WHERE position >= 1000000`);
      db.exec(
        `UPDATE events SET stream_revision = stream_revision + 1000000 WHERE position > ${target} AND stream = 'ledger'`,
      );
      db.exec(`UPDATE events SET stream_revision = stream_revision - 999999 WHERE stream_revision >= 1000000`);
      db.prepare(
        `INSERT INTO events (position, id, stream, stream_revision, type, schema_version, occurred_at, recorded_at, recorded_by, data, metadata)
         VALUES (@position, '0193f7c6-5a2b-7c1d-9e8f-000000000000', @stream, @stream_revision, @type, @schema_version, @occurred_at, @recorded_at, @recorded_by, @data, @metadata)`,
      ).run({ ...row, data: String(row.data).replace('"value":3', '"value":1') });
    });
    expectTampered(t, r.status, target);
    if (r.status.state === 'tampered') t.equal(r.status.id, '0193f7c6-5a2b-7c1d-9e8f-000000000000');
    t.equal(r.offline?.code, EXIT.exportMismatch);
    t.match(r.offline?.message, `position ${target} `);
    await r.store.close();
  });

  await t.test('an event appended behind the service’s back: an unsigned tail, not signed silently', async (t) => {
    const r = await tampered('appended', (db) => {
      const row = db.prepare('SELECT * FROM events WHERE position = ?').get(head) as Record<string, unknown>;
      db.prepare(
        `INSERT INTO events (position, id, stream, stream_revision, type, schema_version, occurred_at, recorded_at, recorded_by, data, metadata)
         VALUES (@position, '0193f7c6-5a2b-7c1d-9e8f-00000000000f', @stream, @stream_revision, @type, @schema_version, @occurred_at, @recorded_at, @recorded_by, @data, @metadata)`,
      ).run({ ...row, position: head + 1, stream_revision: Number(row.stream_revision) + 1 });
    });
    t.equal(r.status.state, 'unsigned-tail');
    if (r.status.state === 'unsigned-tail') t.same(r.status.positions, [head + 1]);
    t.equal(r.offline?.code, EXIT.unsignedTail, 'the offline verifier reports what the checkpoint does not cover');
    t.match(r.offline?.message, `position ${head + 1}`);

    // The service opened on it is not ready and records nothing, until an operator accepts the tail.
    await r.store.close();
    const service = await openLogLedger(r.copy);
    const ready = await service.app.inject({ method: 'GET', url: '/ready' });
    t.equal(ready.statusCode, 503);
    t.match(ready.json<{ problems: string[] }>().problems.join(), /beyond the last signed checkpoint/);
    const refused = await service.inject('recorder', { method: 'POST', url: '/v1/events', payload: transfer(9) });
    t.equal(refused.statusCode, 503);
    t.match(refused.body, /log-not-verified/, 'refused at the door, saying why');
    t.equal(await service.store.headPosition(), head + 1, 'and nothing was stored');
    await service.close();

    const env = { ...process.env, DATA_DIR: r.copy, NODE_ENV: 'test', LOG_LEVEL: 'silent' };
    const cli = path.resolve('src/cli/verify.ts');
    const before = await run('npx', ['tsx', cli, '--store'], { env }).catch((e: { code: number; stderr: string }) => e);
    t.equal('code' in before ? before.code : 0, EXIT.unsignedTail, 'verify --store exits 6 on an unsigned tail');
    const accepted = await run('npx', ['tsx', cli, '--store', '--accept-tail'], { env });
    t.match(accepted.stderr, /accepted: checkpoint of/);
    const after = await run('npx', ['tsx', cli, '--store'], { env });
    t.match(after.stderr, /verified/);
  });

  /** A service started on an edited copy whose saved tree passes at start: the check after start finds the edit. */
  const takenThenCaught = async (t: Test, copy: string, taken: string) => {
    // The check after start recomputes the tree on the second thread, as on a large store.
    const service = await openLogLedger(copy, { treeThread: 'always' });
    t.equal(service.log.source, 'saved-tree', taken);
    await service.log.background;
    t.equal(service.log.status.state, 'tampered', 'and the check after start finds the edit');
    if (service.log.status.state === 'tampered') t.equal(service.log.status.position, target);
    t.equal((await service.app.inject({ method: 'GET', url: '/ready' })).statusCode, 503);
    await service.close();
  };

  /** A copy whose event at `target` was edited, with the saved tree's stamp rewritten to name the edited file. */
  const forgedCopy = async (name: string) => {
    const copy = path.join(dir, name);
    mkdirSync(copy);
    const storeFile = path.join(copy, 'ledger.sqlite');
    copyFileSync(path.join(original, 'ledger.sqlite'), storeFile);
    copyFileSync(devKeyFile(original), devKeyFile(copy));
    copyFileSync(treeFileFor(path.join(original, 'ledger.sqlite')), treeFileFor(storeFile));
    const db = new Database(storeFile);
    for (const trigger of TRIGGERS) db.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
    db.prepare('UPDATE events SET data = replace(data, \'"value":3\', \'"value":300\') WHERE position = ?').run(target);
    db.close();
    await openSqliteStore({ file: storeFile }).close(); // the triggers put back
    // The attacker also rewrites the cache's digest so that it names the edited file.
    const bytes = readFileSync(treeFileFor(storeFile));
    const length = bytes.readUInt32BE(0);
    const header = JSON.parse(bytes.subarray(4, 4 + length).toString()) as { fileStamp: string };
    header.fileStamp = storeFileStamp(storeFile)!;
    const head = Buffer.from(JSON.stringify(header));
    const size = Buffer.alloc(4);
    size.writeUInt32BE(head.length);
    writeFileSync(treeFileFor(storeFile), Buffer.concat([size, head, bytes.subarray(4 + length)]));
    return copy;
  };

  await t.test('an edit made together with a forged saved tree is caught by the check after start', async (t) => {
    await takenThenCaught(t, await forgedCopy('forged-cache'), 'the forged cache is taken at start');
  });

  await t.test(
    'the check after start waits for the restore it is handed, and is not run when the start fails',
    async (t) => {
      for (const outcome of ['restored', 'failed'] as const) {
        const copy = await forgedCopy(`forged-cache-${outcome}`);
        const config = { NODE_ENV: 'test' as const, DATA_DIR: copy };
        const savedTree = await savedTreeFor(config);
        const store = openSqliteStore({ file: path.join(copy, 'ledger.sqlite') });
        let settle!: (restored: boolean) => void;
        const restore = new Promise<void>((resolve, reject) => {
          settle = (restored) => (restored ? resolve() : reject(new Error('the restore failed')));
        });
        let listen!: () => void;
        const listening = new Promise<void>((resolve) => (listen = resolve));
        const log = await openLog(store, config, undefined, undefined, savedTree, {
          checkAfter: [restore, listening],
        });
        t.equal(log.source, 'saved-tree', `${outcome}: the forged cache is taken at start`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        t.equal(log.status.state, 'verified', `${outcome}: no check while the restore runs`);
        settle(outcome === 'restored');
        if (outcome === 'restored') {
          await new Promise((resolve) => setTimeout(resolve, 300));
          t.equal(log.status.state, 'verified', 'restored: no check until the service listens too');
        }
        listen();
        await log.background;
        t.equal(
          log.status.state,
          outcome === 'restored' ? 'tampered' : 'verified',
          outcome === 'restored' ? 'the check after the restore finds the edit' : 'no check after a failed start',
        );
        await log.close();
        await store.close();
      }
    },
  );

  await t.test(
    'a close while the check still waits for its turn: the check never runs, and the close ends',
    async (t) => {
      const copy = await forgedCopy('forged-cache-closed-first');
      const config = { NODE_ENV: 'test' as const, DATA_DIR: copy };
      const savedTree = await savedTreeFor(config);
      const store = openSqliteStore({ file: path.join(copy, 'ledger.sqlite') });
      const never = new Promise<void>(() => undefined);
      const log = await openLog(store, config, undefined, undefined, savedTree, { checkAfter: [never] });
      t.equal(log.source, 'saved-tree', 'the forged cache is taken at start');
      await log.stopChecking(); // would wait forever if the check still waited for `never`
      t.equal(log.status.state, 'verified', 'no check ran');
      await log.close();
      await store.close();
    },
  );

  await t.test(
    'events recorded while the check copies its leaves are no tampering: it checks the leaves it copied',
    async (t) => {
      // A faithful copy, checked on this thread (as a small store is): the check starts, and writes come in at once.
      const copy = path.join(dir, 'written-during-check');
      mkdirSync(copy);
      const source = path.join(original, 'ledger.sqlite');
      await run('cp', ['-p', source, path.join(copy, 'ledger.sqlite')]);
      await run('cp', ['-p', treeFileFor(source), treeFileFor(path.join(copy, 'ledger.sqlite'))]);
      copyFileSync(devKeyFile(original), devKeyFile(copy));
      const config = { NODE_ENV: 'test' as const, DATA_DIR: copy };
      const savedTree = await savedTreeFor(config);
      const store = openSqliteStore({ file: path.join(copy, 'ledger.sqlite') });
      let listen!: () => void;
      const listening = new Promise<void>((resolve) => (listen = resolve));
      const log = await openLog(store, config, undefined, undefined, savedTree, {
        treeThread: 'never',
        checkAfter: [listening],
      });
      const started = await startLedger(store, { afterAppend: log.afterAppend });
      t.equal(log.source, 'saved-tree', 'the copy starts from the saved tree');
      const before = log.tree.size;
      listen();
      const writes = [7, 8, 9].map((value) =>
        started.writer.submit({ proposals: [toProposal(transfer(value) as IncomingEvent)], recordedBy: 'test' }),
      );
      await Promise.all(writes);
      await log.background;
      t.equal(log.tree.size, before + 3, 'the writes went into the tree');
      t.equal(log.status.state, 'verified', 'and the check found nothing wrong');
      await log.close();
      await started.close();
    },
  );

  await t.test(
    'the saved tree is a tripwire on the file’s time: a copy that keeps it starts from the tree, an edit whose time is put back is caught after start',
    async (t) => {
      const copy = path.join(dir, 'time-put-back');
      mkdirSync(copy);
      const source = path.join(original, 'ledger.sqlite');
      const storeFile = path.join(copy, 'ledger.sqlite');
      // A backup restored as it was (cp -p keeps the modification time to the nanosecond).
      await run('cp', ['-p', source, storeFile]);
      await run('cp', ['-p', treeFileFor(source), treeFileFor(storeFile)]);
      copyFileSync(devKeyFile(original), devKeyFile(copy));
      const faithful = await openLogLedger(copy);
      t.equal(faithful.log.source, 'saved-tree', 'the faithful copy starts from the saved tree');
      await faithful.log.background;
      t.equal(faithful.log.status.state, 'verified', 'and the check after start agrees');
      await faithful.close(); // saves the tree again, stamped with the file as the stop left it

      // Someone edits the file (same length, same size) and puts its time back.
      const stamp = path.join(copy, 'stamp');
      await run('cp', ['-p', storeFile, stamp]);
      const db = new Database(storeFile);
      for (const trigger of TRIGGERS) db.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
      db.prepare('UPDATE events SET data = replace(data, \'"value":3\', \'"value":4\') WHERE position = ?').run(target);
      db.close();
      await run('touch', ['-r', stamp, storeFile]);
      await takenThenCaught(t, copy, 'the tripwire is passed: the tree is taken at start');
    },
  );

  await t.test('verify --store names the first bad position and exits 7', async (t) => {
    const env = { ...process.env, DATA_DIR: path.join(dir, 'changed'), NODE_ENV: 'test', LOG_LEVEL: 'silent' };
    const result = await run('npx', ['tsx', path.resolve('src/cli/verify.ts'), '--store'], { env }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    t.equal('code' in result ? result.code : 0, EXIT.tampered);
    t.match(result.stderr, `position ${target}`);
  });
});

/** Posts `event` while the log's signer fails, so its group is committed without a checkpoint. */
async function postFailingToSign(ledger: Awaited<ReturnType<typeof openLogLedger>>, event: object) {
  const signer = (ledger.log as unknown as { options: { signer: Signer } }).options.signer;
  const sign = signer.sign;
  signer.sign = () => {
    throw new Error('injected failure to sign');
  };
  try {
    return await ledger.inject('recorder', { method: 'POST', url: '/v1/events', payload: event });
  } finally {
    signer.sign = sign;
  }
}

t.test('a group stored without its checkpoint leaves an unsigned tail, not tampering', async (t) => {
  const dir = tempDir(t);
  const ledger = await openLogLedger(dir);
  await seedMissionHistory(ledger.ledger);
  const head = await ledger.store.headPosition();
  // Signing fails for one write, after its events are in the transaction: they are committed without a
  // checkpoint (as on a crash between commit and signing where the two are separate steps).
  const posted = await postFailingToSign(ledger, transfer(1));
  t.equal(posted.statusCode, 503, 'never acknowledged');
  t.equal(
    posted.json<{ type: string }>().type,
    'urn:mss-ledger:fault:append-outcome-unknown',
    'stored but not signed: the client is told to retry with the same ids',
  );
  t.equal(await ledger.store.headPosition(), head + 1, 'the event is stored');
  t.equal(ledger.log.signedSize, head, 'and no checkpoint covers it');
  const ready = await ledger.inject('auditor', { method: 'GET', url: '/ready' });
  t.equal(ready.statusCode, 503, '/ready is not ready while the stored events are unsigned');
  t.match(ready.body, `could not be signed (positions ${head + 1}..${head + 1})`, 'and says which and why');
  await ledger.close();

  const again = await openLogLedger(dir);
  t.teardown(again.close);
  t.equal(again.log.source, 'saved-tree', 'a clean stop saved the tree; the restart hashed only the tail');
  t.equal(again.log.status.state, 'unsigned-tail');
  if (again.log.status.state === 'unsigned-tail') t.same(again.log.status.positions, [head + 1]);
  t.same(again.log.problems().length, 1);
});

t.test('after a failure to sign, the next write signs both groups and /ready is ready again', async (t) => {
  const dir = tempDir(t);
  const ledger = await openLogLedger(dir);
  t.teardown(ledger.close);
  await seedMissionHistory(ledger.ledger);
  const head = await ledger.store.headPosition();
  const failed = await postFailingToSign(ledger, transfer(1));
  t.equal(failed.statusCode, 503);
  t.equal((await ledger.inject('auditor', { method: 'GET', url: '/ready' })).statusCode, 503);
  const posted = await ledger.inject('recorder', { method: 'POST', url: '/v1/events', payload: transfer(2) });
  t.equal(posted.statusCode, 201, 'the next write is acknowledged');
  t.equal(ledger.log.signedSize, head + 2, 'under a checkpoint covering both groups');
  t.equal((await ledger.inject('auditor', { method: 'GET', url: '/ready' })).statusCode, 200, 'ready again');
});

t.test("on the embedded store a group's checkpoint is written in the group's transaction", async (t) => {
  const dir = tempDir(t);
  const ledger = await openLogLedger(dir);
  t.teardown(ledger.close);
  await seedMissionHistory(ledger.ledger);
  const head = await ledger.store.headPosition();
  const other = new Database(path.join(dir, 'ledger.sqlite'));
  t.teardown(() => other.close());
  const checkpoints = () => other.prepare('SELECT COUNT(*) AS n FROM log_checkpoints').get() as { n: number };
  const before = checkpoints().n;

  // The checkpoint's row cannot be written: the group's events are not stored either.
  other.exec(
    "CREATE TRIGGER refuse_checkpoint BEFORE INSERT ON log_checkpoints BEGIN SELECT RAISE(ABORT, 'injected: no room for the checkpoint'); END",
  );
  const refused = await ledger.inject('recorder', { method: 'POST', url: '/v1/events', payload: transfer(1) });
  t.not(refused.statusCode, 201, 'not acknowledged');
  t.equal(await ledger.store.headPosition(), head, 'the events were rolled back with their checkpoint');
  t.equal(checkpoints().n, before);
  t.equal(ledger.log.tree.size, head, 'and the tree forgot them');

  other.exec('DROP TRIGGER refuse_checkpoint');
  const posted = await ledger.inject('recorder', { method: 'POST', url: '/v1/events', payload: transfer(2) });
  t.equal(posted.statusCode, 201);
  t.equal(checkpoints().n, before + 1, 'one checkpoint for the group');
  const row = other.prepare('SELECT tree_size, note FROM log_checkpoints ORDER BY tree_size DESC LIMIT 1').get() as {
    tree_size: number;
    note: string;
  };
  t.equal(row.tree_size, head + 1, 'covering the stored event');
  t.equal(row.note, ledger.log.latest?.note, 'the checkpoint the service serves');
  const recomputed = await LedgerLog.open(ledger.store, {
    signer: loadSigner({ NODE_ENV: 'test', DATA_DIR: dir }),
    storage: await checkpointStorageFor(ledger.store),
  });
  t.same(recomputed.status, { state: 'verified', treeSize: head + 1 }, 'every leaf from the store matches it');
});
