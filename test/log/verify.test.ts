/**
 * The offline verifier reads an export however its lines end: hashing the
 * raw bytes (the fast pass) and parsing each line (the pass that names
 * events) give the same tree, with CR LF line ends and without a final
 * newline; a changed byte changes the root.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { exportLine } from '../../src/log/leaf.js';
import { leafHash, MerkleTree } from '../../src/log/merkle.js';
import { treeOfExport } from '../../src/log/verify.js';
import { tempDir } from './support.js';

const event = (i: number) => ({
  id: `0193f7c6-5a2b-7c1d-9e8f-${String(i).padStart(12, '0')}`,
  type: 'MaterielTransferred',
  stream: 'ledger',
  streamRevision: i,
  globalPosition: i + 1,
  occurredAt: '2025-03-01T00:00:00.000Z',
  recordedAt: '2025-12-01T10:00:00.000Z',
  recordedBy: 'test',
  schemaVersion: 1,
  data: { from: 'mss', to: 'hnp', note: `ligne ${i} — é`, lines: [{ itemType: 'radio', quantity: { value: i } }] },
  metadata: { occurredPrecision: 'day' as const },
});

t.test('fast and detailed passes agree, whatever the line ends', async (t) => {
  const dir = tempDir(t);
  const lines = Array.from({ length: 2500 }, (_, i) => exportLine(event(i)));
  const expected = new MerkleTree();
  for (const line of lines) expected.append(leafHash(Buffer.from(line)));
  const root = Buffer.from(expected.root()).toString('base64');
  for (const [name, text] of [
    ['lf.ndjson', `${lines.join('\n')}\n`],
    ['crlf.ndjson', `${lines.join('\r\n')}\r\n`],
    ['no-final-newline.ndjson', lines.join('\n')],
  ] as const) {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    for (const detailed of [false, true]) {
      const tree = (await treeOfExport(file, detailed)).tree;
      t.equal(tree.size, lines.length, `${name}, detailed ${detailed}: every line is a leaf`);
      t.equal(Buffer.from(tree.root()).toString('base64'), root, `${name}, detailed ${detailed}: same root`);
    }
  }
  const changed = path.join(dir, 'changed.ndjson');
  writeFileSync(changed, `${lines.join('\n').replace('"value":1234', '"value":1235')}\n`);
  t.not(Buffer.from((await treeOfExport(changed)).tree.root()).toString('base64'), root);
});
