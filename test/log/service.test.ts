/**
 * The service's log as an auditor meets it over HTTP: every acknowledged
 * write is under a signed checkpoint that verifies with the served key;
 * inclusion and consistency proofs verify against signed roots; projection
 * answers name the tree they reflect; bad sizes are 4xx problems.
 */
import t from 'tap';
import { verifyConsistency, verifyInclusion } from '../../src/log/merkle.js';
import { openCheckpoint, parseVerifierKey } from '../../src/log/note.js';
import { seedMissionHistory } from '../../src/service.js';
import { openLogLedger, tempDir } from './support.js';

const b64 = (s: string) => Buffer.from(s, 'base64');

const transfer = (value: number) => ({
  type: 'MaterielTransferred',
  occurredAt: '2025-03-01',
  data: { from: 'mss', to: 'hnp', lines: [{ itemType: 'firearm-assorted', quantity: { value } }] },
  source: { document: `handover note ${value}` },
});

t.test('checkpoints, proofs and projection answers', async (t) => {
  const dir = tempDir(t);
  const ledger = await openLogLedger(dir);
  t.teardown(ledger.close);
  await seedMissionHistory(ledger.ledger);
  const head = await ledger.store.headPosition();

  const key = await ledger.inject('viewer', { method: 'GET', url: '/v1/log/key' });
  t.equal(key.statusCode, 200);
  const verifier = parseVerifierKey(key.body);
  const first = await ledger.inject('viewer', { method: 'GET', url: '/v1/log/checkpoint' });
  t.equal(first.statusCode, 200);
  t.match(first.headers['content-type'], /text\/plain/);
  const signed = openCheckpoint(first.body, verifier);
  t.equal(signed.treeSize, head, 'the seeded history is signed before seeding returned');
  t.equal(signed.origin, verifier.name, 'the origin line is the key name');

  // A write is acknowledged only once a checkpoint covers it.
  const posted = await ledger.inject('recorder', { method: 'POST', url: '/v1/events', payload: transfer(5) });
  t.equal(posted.statusCode, 201);
  const position = posted.json<{ position: number }>().position;
  const now = openCheckpoint(
    (await ledger.inject('auditor', { method: 'GET', url: '/v1/log/checkpoint' })).body,
    verifier,
  );
  t.equal(now.treeSize, head + 1);

  const inclusion = await ledger.inject('viewer', {
    method: 'GET',
    url: `/v1/log/proof/inclusion?position=${position}&treeSize=${now.treeSize}`,
  });
  t.equal(inclusion.statusCode, 200);
  const proof = inclusion.json<{ leafIndex: number; leafHash: string; rootHash: string; proof: string[] }>();
  t.equal(proof.leafIndex, now.treeSize - 1);
  t.equal(proof.rootHash, now.rootHash.toString('base64'));
  t.ok(verifyInclusion(b64(proof.leafHash), proof.leafIndex, now.treeSize, proof.proof.map(b64), now.rootHash));

  // The leaf is the RFC 8785 JSON of the export line: an auditor recomputes it from the export.
  const exported = await ledger.inject('auditor', { method: 'GET', url: `/v1/events/export?after=${position - 1}` });
  const { leafHash } = await import('../../src/log/merkle.js');
  const { leafOfLine } = await import('../../src/log/leaf.js');
  t.equal(leafHash(leafOfLine(exported.body.trim())).toString('base64'), proof.leafHash);

  const byId = await ledger.inject('viewer', {
    method: 'GET',
    url: `/v1/log/proof/inclusion?id=${exported.json<{ id: string }>().id}`,
  });
  t.equal(byId.json<{ position: number }>().position, position);

  const consistency = await ledger.inject('viewer', {
    method: 'GET',
    url: `/v1/log/proof/consistency?from=${signed.treeSize}&to=${now.treeSize}`,
  });
  const c = consistency.json<{ proof: string[]; fromRoot: string; rootHash: string }>();
  t.ok(verifyConsistency(signed.treeSize, now.treeSize, c.proof.map(b64), signed.rootHash, now.rootHash));

  const inventory = await ledger.inject('viewer', { method: 'GET', url: '/v1/inventory' });
  t.equal(inventory.headers['x-ledger-tree-size'], String(now.treeSize));
  t.equal(inventory.headers['x-ledger-root'], now.rootHash.toString('base64'));
  t.same(inventory.json<{ checkpoint: unknown }>().checkpoint, {
    treeSize: now.treeSize,
    rootHash: now.rootHash.toString('base64'),
  });

  for (const url of [
    `/v1/log/proof/inclusion?position=${position}&treeSize=${now.treeSize + 1}`,
    `/v1/log/proof/inclusion?position=${position}&treeSize=${now.treeSize - 1}`,
    `/v1/log/proof/inclusion?position=1&treeSize=0`,
    `/v1/log/proof/inclusion?position=abc`,
    `/v1/log/proof/inclusion?treeSize=3`,
    `/v1/log/proof/consistency?from=5&to=4`,
    `/v1/log/proof/consistency?from=1&to=${now.treeSize + 1}`,
    `/v1/log/proof/consistency?from=0`,
    `/v1/log/checkpoint?knownAt=yesterday`,
  ]) {
    const answer = await ledger.inject('viewer', { method: 'GET', url });
    t.equal(answer.statusCode, 400, url);
    t.match(answer.headers['content-type'], /application\/problem\+json/, url);
  }
  const missing = await ledger.inject('viewer', { method: 'GET', url: '/v1/log/proof/inclusion?position=99999' });
  t.equal(missing.statusCode, 404);
  const before = await ledger.inject('viewer', { method: 'GET', url: '/v1/log/checkpoint?knownAt=2020-01-01' });
  t.equal(before.statusCode, 404, 'no checkpoint before the first');
});
