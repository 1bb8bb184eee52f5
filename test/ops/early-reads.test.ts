/**
 * The reads a start begins before its modules load (src/early-reads.ts): of the store DATA_DIR names,
 * used only by a start configured for that same store, and then what the start restores from.
 */
import { renameSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { earlyReadsFor, startEarlyReads } from '../../src/early-reads.js';
import { checkpointFile, openLedger, seedSynthetic } from '../../src/service.js';
import { tempDir } from '../log/support.js';

/** A data directory left by a clean stop: the store, both checkpoints and the saved tree. */
async function stoppedLedger(dir: string) {
  const config = loadConfig({ DATA_DIR: dir, NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_ON_EMPTY: 'true' });
  const ledger = await openLedger(config);
  await seedSynthetic(ledger.writer, 50, 3);
  await ledger.projector.waitFor(await ledger.store.headPosition(), 5000);
  const position = ledger.projector.state.position;
  await ledger.close();
  return { config, position };
}

t.test('the early reads are of the store DATA_DIR names, and only for the embedded store', async (t) => {
  t.equal(startEarlyReads({ EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113' }), undefined, 'EventStoreDB');
  t.equal(startEarlyReads({})?.dataDir, './data', 'no DATA_DIR: the default the configuration has too');
  t.equal(startEarlyReads({ DATA_DIR: '' })?.dataDir, './data', 'an empty one: the configuration refuses it later');
  const dir = tempDir(t);
  const none = startEarlyReads({ DATA_DIR: dir });
  t.match(
    await none?.checkpoints.projections,
    { error: { code: 'ENOENT' } },
    'files missing: an answer, not a rejection',
  );
  t.match(await none?.checkpoints.book, { error: { code: 'ENOENT' } });
  t.equal(await none?.savedTree, undefined, 'and no saved tree');

  const { position } = await stoppedLedger(dir);
  const early = startEarlyReads({ DATA_DIR: dir })!;
  t.match(await early.checkpoints.projections, { digest: /^[0-9a-f]{64}$/ }, 'the projections checkpoint read');
  t.match(await early.checkpoints.book, { digest: /^[0-9a-f]{64}$/ }, "and the book's");
  t.equal((await early.savedTree)?.tree.size, position, 'and the saved tree');
});

t.test('a start uses the early reads only if they are of the store it is configured for', async (t) => {
  const config = loadConfig({ DATA_DIR: '/srv/ledger', NODE_ENV: 'test' });
  const early = startEarlyReads({ DATA_DIR: '/srv/ledger/' })!;
  t.equal(earlyReadsFor(early, config), early, 'the same directory, however written');
  t.equal(earlyReadsFor(startEarlyReads({ DATA_DIR: '/srv/other' }), config), undefined, 'another one');
  t.equal(earlyReadsFor(undefined, config), undefined, 'none');
  t.equal(
    earlyReadsFor(early, { ...config, EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113' }),
    undefined,
    'a start on EventStoreDB',
  );
});

t.test('a restart restores from what was read early, even if the files have gone since', async (t) => {
  const dir = tempDir(t);
  const { config, position } = await stoppedLedger(dir);
  const early = startEarlyReads({ DATA_DIR: dir })!;
  await Promise.all([early.checkpoints.projections, early.checkpoints.book, early.savedTree]);
  // Moved away once read: a start that read them again would find none and replay the log.
  const file = checkpointFile(config);
  renameSync(file, `${file}.away`);

  const restarted = await openLedger(config, undefined, { early });
  t.equal(restarted.foldedAtStart, 0, 'nothing folded: the projections came from the early read');
  t.equal(restarted.projector.state.position, position);
  t.equal(restarted.log?.source, 'saved-tree', 'and the log from the early saved tree');
  await restarted.close();

  // Early reads of another directory are left aside: this start reads its own (none now: it replays).
  renameSync(`${file}.away`, file);
  const elsewhere = startEarlyReads({ DATA_DIR: path.join(dir, 'elsewhere') });
  const again = await openLedger(config, undefined, { early: elsewhere! });
  t.equal(again.foldedAtStart, 0, "its own checkpoint, not the other directory's nothing");
  await again.close();
});
