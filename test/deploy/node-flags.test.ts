/**
 * The service runs with the same node flags however it is started: `npm start` (and the bench,
 * which reads them from there) and the Dockerfile. They decide its memory (README, Operations).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { serviceNodeFlags } from '../../bench/lib/node-flags.js';

const root = path.resolve(import.meta.dirname, '..', '..');

t.test('the Dockerfile runs the compiled service with the flags npm start uses', async (t) => {
  const flags = serviceNodeFlags(root);
  t.ok(flags.includes('--expose-gc'), 'a full collection after catching up needs --expose-gc');
  const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
  t.ok(cmd, 'the Dockerfile has an exec-form CMD');
  t.same(JSON.parse(cmd![1]!), ['node', ...flags, 'dist/src/main.js']);
});
