/**
 * Witnesses: a witness co-signs only checkpoints consistent with what it
 * co-signed before; the service keeps and serves cosignatures; a fork (two
 * services from one store, each then given different events) is refused
 * loudly, with both checkpoints kept as evidence.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { verifyOffline } from '../../src/cli/verify.js';
import { devKeyFile } from '../../src/log/keys.js';
import { verifyConsistency } from '../../src/log/merkle.js';
import {
  COSIGNATURE_TYPE,
  generateSignerKey,
  openCheckpoint,
  parseSignerKey,
  parseVerifierKey,
} from '../../src/log/note.js';
import { EXIT } from '../../src/log/verify.js';
import { witnessOnce, WitnessRefusal, type Transport } from '../../src/log/witness.js';
import { seedMissionHistory } from '../../src/service.js';
import { bearer } from '../support/ledger.js';
import { openLogLedger, tempDir } from './support.js';

const transfer = (value: number) => ({
  type: 'MaterielTransferred',
  occurredAt: '2025-03-01',
  data: { from: 'mss', to: 'hnp', lines: [{ itemType: 'firearm-assorted', quantity: { value } }] },
});

type Service = Awaited<ReturnType<typeof openLogLedger>>;
const transport = (service: Service): Transport => ({
  get: async (url) => {
    const answer = await service.app.inject({ method: 'GET', url, headers: bearer('viewer') });
    return { status: answer.statusCode, body: answer.body };
  },
  post: async (url, payload) => {
    const answer = await service.app.inject({ method: 'POST', url, payload: payload as object });
    return { status: answer.statusCode, body: answer.body };
  },
});

t.test('a witness co-signs a growing log and refuses a fork', async (t) => {
  const dir = tempDir(t);
  const witness = parseSignerKey(generateSignerKey('witness.example/w1', COSIGNATURE_TYPE));
  const stranger = parseSignerKey(generateSignerKey('stranger.example/w9', COSIGNATURE_TYPE));
  const base = path.join(dir, 'base');
  mkdirSync(base);
  const seeded = await openLogLedger(base);
  await seedMissionHistory(seeded.ledger);
  await seeded.close();

  const copy = (name: string) => {
    const to = path.join(dir, name);
    mkdirSync(to);
    copyFileSync(path.join(base, 'ledger.sqlite'), path.join(to, 'ledger.sqlite'));
    copyFileSync(devKeyFile(base), devKeyFile(to));
    return to;
  };
  const a = await openLogLedger(copy('a'), { witnessKeys: witness.verifierKey });
  const b = await openLogLedger(copy('b'), { witnessKeys: witness.verifierKey });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const stateFile = path.join(dir, 'witness.json');

  const first = await witnessOnce(transport(a), { stateFile, signer: witness });
  t.equal(first.treeSize, a.log.tree.size, 'first contact: the log key is pinned and the checkpoint co-signed');

  // From here the two services share a history and diverge.
  await a.inject('recorder', { method: 'POST', url: '/v1/events', payload: transfer(1) });
  await b.inject('recorder', { method: 'POST', url: '/v1/events', payload: transfer(2) });
  await b.inject('recorder', { method: 'POST', url: '/v1/events', payload: transfer(3) });

  const second = await witnessOnce(transport(a), { stateFile, signer: witness });
  t.equal(second.treeSize, first.treeSize + 1, 'a consistent, grown checkpoint is co-signed');

  // The service serves the cosignature with its checkpoint; the offline verifier checks it.
  const served = (await a.inject('viewer', { method: 'GET', url: '/v1/log/checkpoint' })).body;
  t.match(served, `\u2014 witness.example/w1 `);
  const files = {
    export: path.join(dir, 'a.ndjson'),
    checkpoint: path.join(dir, 'a.txt'),
    key: path.join(dir, 'a.pub'),
    witness: path.join(dir, 'w1.pub'),
    stranger: path.join(dir, 'w9.pub'),
  };
  writeFileSync(files.export, (await a.inject('auditor', { method: 'GET', url: '/v1/events/export' })).body);
  writeFileSync(files.checkpoint, served);
  writeFileSync(files.key, a.log.verifierKey);
  writeFileSync(files.witness, witness.verifierKey);
  writeFileSync(files.stranger, stranger.verifierKey);
  const said: string[] = [];
  await verifyOffline({ ...files, witnessKeys: [files.witness] }, (line) => said.push(line));
  t.match(said.join('\n'), /cosigned by witness.example\/w1/);
  const missing = await verifyOffline({ ...files, witnessKeys: [files.stranger] }, () => {}).catch((e: unknown) => e);
  t.equal((missing as { code?: number }).code, EXIT.badCosignature, 'a cosignature the checkpoint lacks fails');

  // Shown the other service's checkpoint, the witness refuses and keeps both.
  const refused = await witnessOnce(transport(b), { stateFile, signer: witness }).catch((e: unknown) => e);
  t.type(refused, WitnessRefusal);
  const evidence = JSON.parse(readFileSync((refused as WitnessRefusal).evidenceFile, 'utf8')) as Record<string, string>;
  t.equal(evidence.cosigned, served.slice(0, served.indexOf('\u2014 witness')), 'the co-signed checkpoint is kept');
  t.match(evidence.shown, `\n${b.log.tree.size}\n`, 'and the one shown');
  t.equal(JSON.parse(readFileSync(stateFile, 'utf8')).treeSize, second.treeSize, 'its state is unchanged');

  // The consistency proof between the two histories fails.
  const key = parseVerifierKey(a.log.verifierKey);
  const aCheckpoint = openCheckpoint(served, key);
  const bCheckpoint = openCheckpoint(
    (await b.inject('viewer', { method: 'GET', url: '/v1/log/checkpoint' })).body,
    key,
  );
  const proof = (
    await b.inject('viewer', {
      method: 'GET',
      url: `/v1/log/proof/consistency?from=${aCheckpoint.treeSize}&to=${bCheckpoint.treeSize}`,
    })
  ).json<{ proof: string[] }>().proof;
  t.notOk(
    verifyConsistency(
      aCheckpoint.treeSize,
      bCheckpoint.treeSize,
      proof.map((p) => Buffer.from(p, 'base64')),
      aCheckpoint.rootHash,
      bCheckpoint.rootHash,
    ),
  );

  // A cosignature by a key not in WITNESS_KEYS is not kept.
  const forged = await transport(b).post('/v1/log/cosignatures', {
    treeSize: bCheckpoint.treeSize,
    cosignature:
      '\u2014 stranger.example/w9 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  });
  t.equal(forged.status, 400);
  t.ok(existsSync(stateFile));
});
