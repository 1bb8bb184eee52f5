/**
 * `npm run backup` as an operator runs it: against the real service under a
 * steady load of posts, the copy holds every event acknowledged before the
 * backup began, is one consistent snapshot (a gap-free prefix of the live
 * log, event for event), passes SQLite's integrity check, and restores: a
 * ledger started on it serves and records. Bad arguments and a DATA_DIR
 * without a ledger are refused with exit 2 and nothing is written.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { parseBackupArgs } from '../../src/cli/backup.js';
import { seedMissionHistory, startLedger } from '../../src/service.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { newId } from '../support/fixtures.js';
import { agent, freePort, request as send, signingKeyFile, waitReady } from '../support/service-process.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const KEY = 'backup-test-recorder-key-0123456789abcdef';

function run(script: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, EVENTSTORE_CONNECTION_STRING: '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

const request = (port: number, method: string, url: string, body?: unknown) =>
  send(port, method, url, body, { authorization: `Bearer ${KEY}` });
const ready = (port: number, child: ChildProcess) => waitReady(port, child);

const eventsIn = (file: string) => {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT position, id FROM events ORDER BY position').all() as { position: number; id: string }[];
  } finally {
    db.close();
  }
};

t.test('a backup taken under load holds every event acknowledged before it began, and restores', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-backup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = path.join(dir, 'data');
  const port = await freePort();
  const env = {
    NODE_ENV: 'production',
    SIGNING_KEY_FILE: signingKeyFile(dir),
    DATA_DIR: data,
    PORT: String(port),
    API_KEYS: `load:recorder:${KEY}`,
    RATE_LIMIT_PER_MINUTE: '0',
  };
  const service = run('src/main.ts', [], env);
  t.teardown(() => service.child.kill('SIGKILL'));
  await ready(port, service.child);

  // 12 clients post batches of 5 registrations, one after another, until told to stop.
  const acknowledged: string[] = [];
  let stop = false;
  const failures: number[] = [];
  let n = 0;
  const client = async () => {
    while (!stop) {
      const batch = Array.from({ length: 5 }, () => {
        const i = n++;
        return {
          id: newId(),
          type: 'PartyRegistered',
          occurredAt: '2025-01-01',
          data: { partyId: `load-${i}`, kind: 'other', name: `Load ${i} ${'x'.repeat(150)}` },
        };
      });
      const response = await request(port, 'POST', '/v1/events', batch).catch(() => ({ status: 0 }));
      if (response.status === 201) acknowledged.push(...batch.map((e) => e.id));
      else failures.push(response.status);
    }
  };
  const load = Promise.all(Array.from({ length: 12 }, client));
  while (acknowledged.length < 1500) await new Promise((r) => setTimeout(r, 20));

  const before = [...acknowledged];
  const target = path.join(dir, 'ledger-backup.sqlite');
  const backup = run('src/cli/backup.ts', ['--to', target], { DATA_DIR: data });
  const code = await backup.exited;
  const during = acknowledged.length - before.length;
  stop = true;
  await load;
  t.equal(code, 0, `the backup succeeded: ${backup.stderr()}`);
  t.same(failures, [], 'no post failed while the backup ran');
  t.ok(during > 0, `${during} events were acknowledged while the backup ran`);
  t.match(backup.stdout(), /integrity check: ok/);
  t.match(backup.stdout(), /positions 1 to [\d,]+ without a gap/);
  t.match(backup.stdout(), /immutability triggers: present/);

  const copied = eventsIn(target);
  const ids = new Set(copied.map((e) => e.id));
  t.same(
    before.filter((id) => !ids.has(id)),
    [],
    `all ${before.length} events acknowledged before the backup began are in it (it holds ${copied.length})`,
  );
  t.ok(
    copied.every((e, i) => e.position === i + 1),
    'positions 1 to N without a gap',
  );
  const last = copied.at(-1);
  t.match(backup.stdout(), `last event: ${last?.id}`, 'the last id printed is the copy’s last event');
  t.ok(!existsSync(`${target}-wal`) && !existsSync(`${target}.partial`), 'one self-contained file');

  service.child.kill('SIGTERM');
  t.equal(await service.exited, 0, 'the service stopped cleanly');
  const live = eventsIn(path.join(data, 'ledger.sqlite'));
  t.ok(live.length > copied.length, 'the live log went on after the snapshot');
  t.same(
    live.slice(0, copied.length),
    copied,
    'the copy is a snapshot: exactly the first N events of the live log, in order',
  );
  const db = new Database(target, { readonly: true });
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok', 'integrity check on the copy');
  db.close();

  // Restore as the README says: copy the file to DATA_DIR/ledger.sqlite (no -wal, -shm or checkpoints).
  const restored = path.join(dir, 'restored');
  mkdirSync(restored);
  copyFileSync(target, path.join(restored, 'ledger.sqlite'));
  const ledger = await startLedger(openSqliteStore({ file: path.join(restored, 'ledger.sqlite') }));
  t.equal(await ledger.store.headPosition(), copied.length, 'the restored ledger holds the copy');
  t.equal(ledger.writer.book.position, copied.length, 'and its writer caught up with it');
  const seeded = await seedMissionHistory(ledger);
  t.equal(seeded.recorded, 0, 'the mission history is already there');
  t.same(await ledger.store.integrityProblems([]), [], 'with its immutability triggers');
  await ledger.close();
  agent.destroy();
});

t.test('bad arguments and a DATA_DIR without a ledger: one line, exit 2, nothing written', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-backup-args-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const empty = path.join(dir, 'empty');
  mkdirSync(empty);
  const existing = path.join(dir, 'existing.sqlite');
  writeFileSync(existing, 'an earlier backup');
  const cases: [string[], Record<string, string>, RegExp][] = [
    [[], { DATA_DIR: empty }, /--to FILE is required/],
    [['--to', existing], { DATA_DIR: empty }, /exists: a backup never overwrites a file/],
    [['--to', path.join(dir, 'b.sqlite')], { DATA_DIR: empty }, /holds no ledger \(no ledger.sqlite\)/],
    [['--to', path.join(dir, 'b.sqlite')], { DATA_DIR: path.join(dir, 'mistyped') }, /does not exist/],
  ];
  const results = await Promise.all(cases.map(([args, env]) => run('src/cli/backup.ts', args, env)));
  for (const [index, [args, , message]] of cases.entries()) {
    const result = results[index]!;
    t.equal(await result.exited, 2, `${args.join(' ') || '(none)'}: exit 2`);
    t.match(result.stderr(), message);
    t.equal(result.stderr().trim().split('\n').length, 1, 'one line');
  }
  t.same(readdirSync(empty), [], 'nothing created in DATA_DIR');
  t.same(readdirSync(dir).sort(), ['empty', 'existing.sqlite'], 'no backup file written');
  // The same parser, in process (each spawn costs a second of CPU).
  const refused: [string[], RegExp][] = [
    [['--to'], /--to/],
    [['--too', 'x'], /Unknown option '--too'/],
    [['--to', ''], /--to FILE is required/],
    [['--to', path.join(dir, 'no-such-dir', 'b.sqlite')], /no-such-dir is not a directory/],
  ];
  for (const [args, message] of refused)
    t.throws(() => parseBackupArgs(args), { name: 'UsageError', message }, args.join(' '));
  const help = run('src/cli/backup.ts', ['--help'], {});
  t.equal(await help.exited, 0);
  t.match(help.stdout(), /Usage: npm run backup -- --to FILE[\s\S]*Restore:/);
});
