/**
 * knownAt made verifiable: an answer as known at K names the tree of the
 * checkpoint issued by K, and an auditor's offline verifier, given only the
 * export, that checkpoint and the key, recomputes the same answer.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { verifyOffline } from '../../src/cli/verify.js';
import { seedMissionHistory } from '../../src/service.js';
import { openLogLedger, tempDir } from './support.js';

const transfer = (value: number) => ({
  type: 'MaterielTransferred',
  occurredAt: '2025-03-01',
  data: { from: 'mss', to: 'hnp', lines: [{ itemType: 'firearm-assorted', quantity: { value } }] },
});

t.test('a past knownAt answer is the signed prefix, and the export alone reproduces it', async (t) => {
  const dir = tempDir(t);
  let now = Date.parse('2025-12-01T08:00:00Z');
  const ledger = await openLogLedger(dir, { clock: () => new Date(now) });
  t.teardown(ledger.close);
  await seedMissionHistory(ledger.ledger);
  now += 3_600_000;
  t.equal(
    (await ledger.inject('recorder', { method: 'POST', url: '/v1/events', payload: transfer(40) })).statusCode,
    201,
  );
  const knownAt = new Date(now + 1_800_000).toISOString();
  now += 3_600_000;
  t.equal(
    (await ledger.inject('recorder', { method: 'POST', url: '/v1/events', payload: transfer(60) })).statusCode,
    201,
  );
  now += 3_600_000;

  const cp = await ledger.inject('viewer', { method: 'GET', url: `/v1/log/checkpoint?knownAt=${knownAt}` });
  t.equal(cp.statusCode, 200);
  const signedSize = Number(cp.headers['x-ledger-tree-size']);
  const head = await ledger.store.headPosition();
  t.equal(signedSize, head - 1, 'the checkpoint issued by K covers what was recorded by K, not the later write');

  const files = {
    export: path.join(dir, 'ledger.ndjson'),
    checkpoint: path.join(dir, 'checkpoint.txt'),
    key: path.join(dir, 'ledger.pub'),
  };
  writeFileSync(files.export, (await ledger.inject('auditor', { method: 'GET', url: '/v1/events/export' })).body);
  writeFileSync(files.checkpoint, cp.body);
  writeFileSync(files.key, (await ledger.inject('auditor', { method: 'GET', url: '/v1/log/key' })).body);

  for (const [projection, asOf] of [
    ['inventory', undefined],
    ['personnel', '2024-11-08'],
    ['donors', '2025-03-01'],
  ] as const) {
    const query = `knownAt=${knownAt}${asOf ? `&asOf=${asOf}` : ''}`;
    const answer = await ledger.inject('viewer', { method: 'GET', url: `/v1/${projection}?${query}` });
    t.equal(answer.statusCode, 200);
    const body = answer.json<Record<string, unknown>>();
    t.same(
      body.checkpoint,
      { treeSize: signedSize, rootHash: cp.headers['x-ledger-root'] },
      `${projection} names the tree`,
    );
    t.equal(answer.headers['x-ledger-tree-size'], String(signedSize));

    const offline = (await verifyOffline(
      { ...files, knownAt, ...(asOf ? { asOf } : {}), projection },
      () => {},
    )) as Record<string, unknown>;
    const { asOf: _a, knownAt: _k, position, checkpoint, ...view } = body;
    t.same(offline[projection], view, `${projection}: the export alone gives the service's answer`);
    t.equal(offline.position, position);
    t.same(offline.checkpoint, checkpoint);
  }
});
