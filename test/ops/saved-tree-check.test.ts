/**
 * The real process: a restart takes up the tree saved at the last clean stop, answers, and then
 * recomputes every leaf from the store in the background (serve.ts starts that check once the
 * service listens). An edit made behind its back, with the file's time put back so the saved tree
 * is taken, is reported on /ready by the check: the service does not stay "ready" on it.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { freePort, request, signingKeyFile, startService, waitReady } from '../support/service-process.js';

// The store's own guards against edits: whoever edits the file behind the service's back drops them first.
const TRIGGERS = ['events_no_update', 'events_no_delete', 'events_no_replace_indexed'];

t.test('a restart from the saved tree still catches an edit whose time was put back, once it listens', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-saved-tree-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const env = {
    NODE_ENV: 'production',
    SIGNING_KEY_FILE: signingKeyFile(dir),
    DATA_DIR: dir,
    PORT: String(port),
    HOST: '127.0.0.1',
    API_KEYS: 'viewer:viewer:saved-tree-test-viewer-key-0123456789',
    LOG_LEVEL: 'info',
  };
  const run = async (what: (port: number) => Promise<void>) => {
    const service = startService(env);
    t.teardown(() => service.child.kill('SIGKILL'));
    await waitReady(port, service.child);
    await what(port);
    service.child.kill('SIGTERM');
    t.equal(await service.exited, 0, 'stops cleanly, saving its tree');
    return service.output();
  };

  // Seeded with the mission's history, stopped: the tree is saved beside the store.
  await run(async () => undefined);
  const started = await run(async () => undefined);
  t.match(started, /"tree":"saved-tree"/, 'the restart took up the saved tree');

  // An edit of one recorded event, its guards dropped and the file's time put back afterwards.
  const storeFile = path.join(dir, 'ledger.sqlite');
  const stamp = path.join(dir, 'stamp');
  copyFileSync(storeFile, stamp);
  execFileSync('touch', ['-r', storeFile, stamp]);
  const db = new Database(storeFile);
  for (const trigger of TRIGGERS) db.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
  // Same length, so the file keeps its size: one letter of one event's data, quotes and structure untouched.
  const edited = db
    .prepare(
      "UPDATE events SET data = replace(data, 'a', 'e') WHERE position = (SELECT min(position) FROM events WHERE instr(data, 'a') > 0)",
    )
    .run();
  db.close();
  t.equal(edited.changes, 1, 'one event edited');
  execFileSync('touch', ['-r', stamp, storeFile]);
  t.equal(statSync(storeFile).size, statSync(stamp).size, 'the file keeps its size, so the tripwire passes');
  rmSync(stamp);

  const service = startService(env);
  t.teardown(() => service.child.kill('SIGKILL'));
  // The saved tree passes the tripwire, so the service starts and answers; the check after it listens finds the edit.
  await waitReady(port, service.child, 503, 600);
  const ready = JSON.parse((await request(port, 'GET', '/ready')).body) as { problems: string[] };
  t.match(ready.problems.join('\n'), /tampered|differs/, `/ready names the edit: ${ready.problems.join('; ')}`);
  t.match(service.output(), /"tree":"saved-tree"/, 'the tree was taken up: only the check could find the edit');
  t.match(service.output(), /the store differs from the saved tree/, 'and the operator is told in one line');
  service.child.kill('SIGTERM');
  await service.exited;
});
