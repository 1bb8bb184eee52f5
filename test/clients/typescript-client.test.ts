/**
 * The typed client: generated from the current /openapi.json (stale files
 * fail), and the examples/ script, which records and reads through it,
 * against a ledger served on a local port.
 */
import t from 'tap';
import { staleFiles } from '../../clients/typescript/generate.js';
import { recordAndRead } from '../../examples/record-and-read.js';
import { testLedger, TEST_KEYS } from '../support/ledger.js';

t.test('the generated client matches the OpenAPI document', async (t) => {
  t.same(await staleFiles(), [], 'clients/typescript is up to date (npm run client regenerates it)');
});

t.test('examples/record-and-read.ts against a running ledger', async (t) => {
  const { app } = await testLedger(t, { seed: true });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const said: string[] = [];
  const result = await recordAndRead(base, TEST_KEYS.recorder, (line) => said.push(line));
  t.equal(result.status, 201, 'the donation is recorded');
  t.equal(result.after, result.before + 10, 'and the inventory read after it includes it');
  t.match(said[0], /^recorded DonationReceived at position \d+ \(HTTP 201\)$/);
  await t.rejects(
    recordAndRead(base, TEST_KEYS.viewer, () => {}),
    /recording failed: .*403/,
    'a viewer key may not',
  );
});
