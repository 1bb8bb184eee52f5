/**
 * The log on EventStoreDB (the gRPC protocol double): the tree is built from
 * $all in the same order, checkpoints are kept in the stream mss-ledger-log,
 * and a restart finds the store matching them; an export verifies offline.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { verifyOffline } from '../../src/cli/verify.js';
import { buildApp } from '../../src/http/app.js';
import { verifyInclusion } from '../../src/log/merkle.js';
import { openCheckpoint, parseVerifierKey } from '../../src/log/note.js';
import { openLog } from '../../src/log/open.js';
import { seedMissionHistory, startLedger } from '../../src/service.js';
import { openEventStoreDbStore } from '../../src/store/eventstoredb.js';
import { startEventStoreDbDouble } from '../eventstoredb-double/server.js';
import { bearer, testKeyRing } from '../support/ledger.js';
import { tempDir } from './support.js';

t.test('checkpoints and proofs over $all, kept in the store across a restart', async (t) => {
  const dir = tempDir(t);
  const double = await startEventStoreDbDouble({ batchAppend: true });
  t.teardown(() => double.close());
  const config = { NODE_ENV: 'test' as const, DATA_DIR: dir, EVENTSTORE_CONNECTION_STRING: double.connectionString };

  const open = async () => {
    const store = await openEventStoreDbStore({ connectionString: double.connectionString });
    const log = await openLog(store, config);
    const ledger = await startLedger(store, { afterAppend: log.afterAppend });
    const app = await buildApp({ ...ledger, log }, { auth: testKeyRing(), rateLimitPerMinute: 0 });
    const get = (url: string, role: 'viewer' | 'auditor' = 'viewer') =>
      app.inject({ method: 'GET', url, headers: bearer(role) });
    const close = async () => {
      await app.close();
      await ledger.close();
      await log.close();
    };
    return { store, log, ledger, get, close };
  };

  const first = await open();
  await seedMissionHistory(first.ledger);
  const events = await first.store.readAll();
  const key = parseVerifierKey((await first.get('/v1/log/key')).body);
  const text = (await first.get('/v1/log/checkpoint')).body;
  const checkpoint = openCheckpoint(text, key);
  t.equal(checkpoint.treeSize, events.length, 'every event of $all is a leaf');

  const target = events[7]!; // positions on EventStoreDB are commit positions: not 1, 2, 3…
  const proof = (await first.get(`/v1/log/proof/inclusion?position=${target.globalPosition}`)).json<{
    leafIndex: number;
    leafHash: string;
    proof: string[];
  }>();
  t.equal(proof.leafIndex, 7);
  t.ok(
    verifyInclusion(
      Buffer.from(proof.leafHash, 'base64'),
      7,
      checkpoint.treeSize,
      proof.proof.map((p) => Buffer.from(p, 'base64')),
      checkpoint.rootHash,
    ),
  );

  const files = {
    export: path.join(dir, 'e.ndjson'),
    checkpoint: path.join(dir, 'c.txt'),
    key: path.join(dir, 'k.pub'),
  };
  writeFileSync(files.export, (await first.get('/v1/events/export', 'auditor')).body);
  writeFileSync(files.checkpoint, text);
  writeFileSync(files.key, first.log.verifierKey);
  await verifyOffline(files, () => {});
  await first.close();

  const again = await open();
  t.teardown(again.close);
  t.equal(again.log.status.state, 'verified', 'the checkpoints came back from the stream, and $all still matches');
  t.equal(again.log.latest?.note, text.endsWith('\n') ? text : `${text}\n`);
});
