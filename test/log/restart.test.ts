/**
 * A restart from the saved tree, and a clean stop soon after it: the check of the saved tree that
 * runs in the background after start is stopped before the store closes, so the stop reports no
 * failure, and the tree saved again is the one the next start takes up.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import t from 'tap';
import { syntheticHistory } from '../../seeds/synthetic.js';
import { loadConfig } from '../../src/config.js';
import { toProposal } from '../../src/http/routes/events.js';
import { LEDGER_STREAM } from '../../src/ledger/book.js';
import { treeFileFor } from '../../src/log/tree-file.js';
import { checkpointFile, openLedger, seedSynthetic } from '../../src/service.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { tempDir } from './support.js';

/** A logger whose lines a test can read. */
function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

t.test('a clean stop while the saved tree is still being checked reports no failure', async (t) => {
  const dir = tempDir(t);
  // Enough events that the check after start reads many pages: the stop comes in the middle of it.
  const store = openSqliteStore({ file: path.join(dir, 'ledger.sqlite') });
  const events = [...syntheticHistory(30_000, { seed: 5 })].map((e) => ({ ...toProposal(e), recordedBy: 'test' }));
  for (let i = 0; i < events.length; i += 1000) await store.append(LEDGER_STREAM, events.slice(i, i + 1000), 'any');
  await store.close();
  const config = loadConfig({ DATA_DIR: dir, NODE_ENV: 'test', LOG_LEVEL: 'silent' });

  const first = await openLedger(config);
  t.equal(first.log?.source, 'store', 'the first start hashes every leaf');
  await first.log?.acceptTail(); // written behind its back: the operator vouches for them
  t.equal(first.log?.status.state, 'verified');
  await first.close(); // and saves the tree

  const { logger, lines } = capturingLogger();
  const second = await openLedger(config, logger);
  t.equal(second.log?.source, 'saved-tree', 'the restart takes up the saved tree');
  await second.close();
  const warnings = lines.filter((line) => line.level >= 40).map((line) => line.msg);
  t.same(warnings, [], 'nothing is reported as failing');

  const third = await openLedger(config);
  t.equal(third.log?.source, 'saved-tree', 'the tree saved at that stop is taken up again');
  t.equal(third.log?.tree.size, 30_000);
  await third.log?.background;
  t.equal(third.log?.status.state, 'verified');
  await third.close();
});

t.test('a stop rewrites the saved tree only when it changed', async (t) => {
  const dir = tempDir(t);
  const config = loadConfig({ DATA_DIR: dir, NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_ON_EMPTY: 'true' });
  await (await openLedger(config)).close();
  const treeFile = treeFileFor(path.join(dir, 'ledger.sqlite'));
  const written = statSync(treeFile, { bigint: true }).mtimeNs;

  const idle = await openLedger(config);
  t.equal(idle.log?.source, 'saved-tree');
  await idle.close();
  t.equal(statSync(treeFile, { bigint: true }).mtimeNs, written, 'nothing recorded: the file is left as it was');

  const busy = await openLedger(config);
  const size = busy.log!.tree.size;
  const recorded = await seedSynthetic(busy.writer, 20, 3);
  await busy.close();
  t.not(statSync(treeFile, { bigint: true }).mtimeNs, written, 'events recorded: the tree is saved again');
  const after = await openLedger(config);
  t.equal(after.log?.source, 'saved-tree', 'and taken up at the next start');
  t.equal(after.log?.tree.size, size + recorded);
  await after.close();
});

t.test('a log that cannot be opened: the start fails with its error, and what was caught up is closed', async (t) => {
  const dir = tempDir(t);
  const config = loadConfig({ DATA_DIR: dir, NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_ON_EMPTY: 'true' });
  await (await openLedger(config)).close();
  const checkpoint = checkpointFile(config);
  rmSync(checkpoint);
  // The log and the projections are opened side by side; the log fails on its missing key.
  const missingKey = { ...config, SIGNING_KEY_FILE: path.join(dir, 'no-such.key') };
  await t.rejects(openLedger(missingKey), { code: 'ENOENT' }, "the log's own error");
  t.ok(existsSync(checkpoint), 'the projections, caught up meanwhile, were closed as a stop closes them');
  const again = await openLedger(config);
  t.equal(again.log?.status.state, 'verified', 'the next start, with its key, finds everything in order');
  await again.close();
});

t.test('a stop saves the log’s tree before the checkpoints, so one cut short keeps the tree', async (t) => {
  const dir = tempDir(t);
  const config = loadConfig({ DATA_DIR: dir, NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_ON_EMPTY: 'true' });
  await (await openLedger(config)).close();
  const treeFile = treeFileFor(path.join(dir, 'ledger.sqlite'));
  const checkpoint = checkpointFile(config);

  const busy = await openLedger(config);
  const size = busy.log!.tree.size;
  const recorded = await seedSynthetic(busy.writer, 20, 3);
  await busy.close();
  const tree = statSync(treeFile, { bigint: true }).mtimeNs;
  const projections = statSync(checkpoint, { bigint: true }).mtimeNs;
  t.ok(tree <= projections, `the tree (${tree}) is written no later than the checkpoint (${projections})`);

  // A stop cut short by its deadline while it wrote the checkpoints: the tree is on disk, they are not.
  rmSync(checkpoint);
  const after = await openLedger(config);
  t.equal(after.log?.source, 'saved-tree', 'the restart takes up the saved tree');
  t.equal(after.log?.tree.size, size + recorded);
  t.equal(after.foldedAtStart, size + recorded, 'and folds the projections again');
  await after.log?.background;
  t.equal(after.log?.status.state, 'verified');
  await after.close();
});
