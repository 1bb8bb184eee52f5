/**
 * A store that can only be read (a read-only mount: the service reads a copy of the file into
 * memory) still holds the checkpoints it signed: its history is verified as signed, never
 * reported as an unsigned tail, and nothing can be added to it. The mount itself is tried in
 * test/ops/faults.test.ts, where root allows it.
 */
import path from 'node:path';
import t from 'tap';
import { checkpointStorageFor, openLog } from '../../src/log/open.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { openLogLedger, tempDir } from './support.js';

const party = (n: number) => ({
  type: 'PartyRegistered',
  occurredAt: '2025-01-01T00:00:00Z',
  data: { partyId: `read-only-${n}`, name: `Party ${n}`, kind: 'donor' },
});

t.test('a store read into memory keeps the checkpoints its file holds, and refuses to add to them', async (t) => {
  const dir = tempDir(t);
  const writer = await openLogLedger(dir);
  for (const n of [1, 2, 3])
    t.equal(
      (await writer.inject('recorder', { method: 'POST', url: '/v1/events', payload: party(n) })).statusCode,
      201,
    );
  const signed = writer.log.latest;
  await writer.close();
  t.equal(signed?.treeSize, 3, 'each group was signed as it was acknowledged');

  const copy = openSqliteStore({ file: path.join(dir, 'ledger.sqlite'), readonly: 'snapshot' });
  t.teardown(() => copy.close());
  t.equal(copy.file, ':memory:');
  const log = await openLog(copy, { NODE_ENV: 'test', DATA_DIR: dir });
  t.teardown(() => log.close());
  t.same(log.status, { state: 'verified', treeSize: 3 }, 'the signed history is verified, not an unsigned tail');
  t.same(log.problems(), []);
  t.equal(log.latest?.note, signed?.note, 'the checkpoint served is the one signed before');
  t.match(log.where, /read-only copy of .*ledger\.sqlite/);

  const tables = await checkpointStorageFor(copy);
  t.throws(
    () => tables.add({ treeSize: 4, rootHash: 'x', issuedAt: '2025-01-01T00:00:00Z', note: 'x' }),
    { name: 'StoreFault', fault: 'store-read-only' },
    'adding a checkpoint is refused as a read-only store',
  );
  t.throws(
    () => tables.addCosignature({ treeSize: 3, witness: 'w', line: 'x', receivedAt: '2025-01-01T00:00:00Z' }),
    { name: 'StoreFault', fault: 'store-read-only' },
    'and so is adding a cosignature',
  );
});
