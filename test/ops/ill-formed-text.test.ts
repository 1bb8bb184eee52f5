/**
 * Text that is not well-formed Unicode (a lone surrogate such as "\ud800", which JSON allows as
 * an escape) cannot be written as an RFC 8785 leaf, so an event carrying it could be stored but
 * never signed, and every write after it would stop. It must be refused at the door as bad input,
 * naming the field, leaving the store and the log as they were.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { newId } from '../support/fixtures.js';
import { agent, freePort, request, signingKeyFile, startService, waitReady } from '../support/service-process.js';

const KEY = 'text-test-recorder-key-0123456789abcdef0123';
const auth = { authorization: `Bearer ${KEY}` };
t.teardown(() => agent.destroy());

const party = (partyId: string, name: string) => ({
  id: newId(),
  type: 'PartyRegistered',
  occurredAt: '2025-01-01',
  data: { partyId, kind: 'other', name },
});

t.test('a lone surrogate is a 400 naming the field; the log stays signed and writes go on', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-text-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const run = startService({
    NODE_ENV: 'production',
    SIGNING_KEY_FILE: signingKeyFile(dir),
    DATA_DIR: path.join(dir, 'data'),
    PORT: String(port),
    HOST: '127.0.0.1',
    API_KEYS: `text:recorder:${KEY}`,
  });
  t.teardown(() => run.child.kill('SIGKILL'));
  await waitReady(port, run.child);
  const head = async () => JSON.parse((await request(port, 'GET', '/v1/events?limit=1', undefined, auth)).body);
  const before = await request(port, 'GET', '/v1/log/checkpoint', undefined, auth);

  const single = await request(port, 'POST', '/v1/events', party('lone', 'Half \ud800 a character'), auth);
  t.equal(single.status, 400, 'bad input, not a fault');
  t.match(single.headers['content-type'], /^application\/problem\+json/);
  const problem = JSON.parse(single.body);
  t.equal(problem.type, 'urn:mss-ledger:rule:schema-invalid');
  t.match(problem.errors ?? problem.context ?? problem, { 0: { field: 'data.name' } }, 'names the field');

  const batch = [party('fine', 'Fine'), party('low-half', '\udfff trailing')];
  const refused = await request(port, 'POST', '/v1/events', batch, auth);
  t.equal(refused.status, 400, 'a batch with one bad text is refused whole');
  t.equal(JSON.parse(refused.body).field, '[1].data.name', 'names the item and the field');

  const after = await request(port, 'GET', '/v1/log/checkpoint', undefined, auth);
  t.equal(after.body, before.body, 'the log did not move');
  t.equal(
    (await request(port, 'POST', '/v1/events', party('next', 'Next \u{1F600}'), auth)).status,
    201,
    'writes go on',
  );
  t.equal((await request(port, 'GET', '/ready')).status, 200, 'still ready: every event is signed');
  t.ok(await head(), 'the events read');
});
