/**
 * A saved tree reads its leaves' whole chunks through a file descriptor it opens when it is loaded.
 * A start that does not use the tree it loaded (the log does not open, the early reads were of
 * another directory) lets the descriptor go: a service kept up for months does not hold files it
 * is done with.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { leafHash, MerkleTree, CHUNK_HASHES } from '../../src/log/merkle.js';
import { LeafPositions } from '../../src/log/leaf-positions.js';
import { openLog } from '../../src/log/open.js';
import { loadTree, saveTree, treeFileFor } from '../../src/log/tree-file.js';
import { readCheckpoints, checkpointFileIn } from '../../src/read/checkpoint-files.js';
import { openLedger } from '../../src/service.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { tempDir } from './support.js';

/** How many of this process's descriptors are open on `file` (Linux's /proc; undefined elsewhere). */
function descriptorsOn(file: string): number | undefined {
  if (!existsSync('/proc/self/fd')) return undefined;
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === file) count++;
    } catch {
      // a descriptor closed while the folder was read
    }
  }
  return count;
}

/** A tree with two whole chunks of leaves, saved beside a stand-in store file in `dir`, and loaded back. */
async function savedTreeIn(dir: string) {
  const storeFile = path.join(dir, 'ledger.sqlite');
  if (!existsSync(storeFile)) writeFileSync(storeFile, 'a store file, stamped by its size and time');
  const tree = new MerkleTree();
  const count = 2 * CHUNK_HASHES + 5;
  for (let i = 0; i < count; i++) tree.append(leafHash(createHash('sha256').update(`event ${i}`).digest()));
  const file = treeFileFor(storeFile);
  const positions = LeafPositions.from(Array.from({ length: count }, (_, i) => i + 1));
  if (!(await saveTree(file, tree, positions, storeFile))) throw new Error('the tree was not saved');
  const loaded = await loadTree(file, storeFile);
  if (!loaded) throw new Error('the tree was not loaded');
  return { file, loaded };
}

const onLinux = existsSync('/proc/self/fd') ? {} : { skip: 'needs /proc/self/fd' };

t.test('a log that does not open lets go of the saved tree it was given', onLinux, async (t) => {
  const dir = tempDir(t);
  const { file, loaded } = await savedTreeIn(dir);
  t.teardown(() => loaded.tree.close());
  t.equal(descriptorsOn(file), 1, 'the loaded tree reads its leaves through the file');
  const store = openSqliteStore({ file: ':memory:' });
  t.teardown(() => store.close());
  // Production without a signing key: the log refuses to open before it takes up the tree.
  await t.rejects(openLog(store, { NODE_ENV: 'production', DATA_DIR: dir }, undefined, undefined, loaded), {
    message: /SIGNING_KEY_FILE/,
  });
  t.equal(descriptorsOn(file), 0, 'and no longer does');
});

t.test('early reads of another directory than the one configured are let go', onLinux, async (t) => {
  const elsewhere = tempDir(t);
  const { file, loaded } = await savedTreeIn(elsewhere);
  t.teardown(() => loaded.tree.close());
  const dir = tempDir(t);
  const config = loadConfig({ DATA_DIR: dir, NODE_ENV: 'test', LOG_LEVEL: 'silent' });
  const ledger = await openLedger(config, undefined, {
    early: {
      dataDir: elsewhere,
      checkpoints: readCheckpoints(checkpointFileIn(elsewhere)),
      savedTree: Promise.resolve(loaded),
    },
  });
  t.teardown(() => ledger.close());
  t.equal(ledger.log?.source, 'store', 'the configured directory is the one served');
  t.equal(descriptorsOn(file), 0, "the other directory's tree no longer holds its file");
});
