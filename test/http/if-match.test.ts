/**
 * If-Match on POST /v1/events in the forms clients send: strong `"n"`, weak
 * `W/"n"` (Emmett's clients) and bare `n` name the same revision; anything
 * else is a 400 problem that shows the accepted forms, and stores nothing.
 */
import t from 'tap';
import { donation, line, world } from '../support/fixtures.js';
import { testLedger } from '../support/ledger.js';
import { parseIfMatch } from '../../src/http/if-match.js';

t.test('the forms a revision may take', async (t) => {
  t.equal(parseIfMatch('"36"'), 36);
  t.equal(parseIfMatch('W/"36"'), 36);
  t.equal(parseIfMatch('36'), 36);
  t.equal(parseIfMatch(' W/"-1" '), -1);
  t.equal(parseIfMatch('*'), undefined);
  t.equal(parseIfMatch(undefined), undefined);
  for (const bad of ['"36', '36"', 'W/36"', 'w/"36"', 'W/"x"', '"3.5"', 'abc', '', '"36", "37"'])
    t.equal(parseIfMatch(bad), 'invalid', `${JSON.stringify(bad)} is refused`);
});

t.test('POST /v1/events with each form, and with a malformed one', async (t) => {
  const { inject, store } = await testLedger(t);
  const post = (payload: object, ifMatch: string) =>
    inject('recorder', { method: 'POST', url: '/v1/events', payload, headers: { 'if-match': ifMatch } });
  await inject('recorder', { method: 'POST', url: '/v1/events', payload: world() });

  for (const form of [(n: number) => `W/"${n}"`, (n: number) => `"${n}"`, (n: number) => `${n}`]) {
    const revision = (await inject('auditor', { method: 'GET', url: '/v1/streams/ledger?limit=1' })).json()
      .revision as number;
    const header = form(revision);
    const ok = await post(donation('us-inl', 'mss', [line('rifle', 1)]), header);
    t.equal(ok.statusCode, 201, `If-Match: ${header} at the current revision records`);
    const stale = await post(donation('us-inl', 'mss', [line('rifle', 1)]), header);
    t.equal(stale.statusCode, 412, `If-Match: ${header} once the ledger moved on is a 412`);
    t.equal(stale.json().context.currentRevision, revision + 1);
  }

  const before = await store.headPosition();
  const bad = await post(donation('us-inl', 'mss', [line('rifle', 1)]), 'W/revision-7');
  t.equal(bad.statusCode, 400);
  t.match(bad.headers['content-type'], /^application\/problem\+json/);
  const problem = bad.json();
  t.equal(problem.rule, 'schema-invalid');
  t.equal(problem.field, 'If-Match');
  for (const form of ['"<revision>"', 'W/"<revision>"', '<revision>', '*'])
    t.ok(problem.detail.includes(form), `the detail shows the accepted form ${form}`);
  t.equal(await store.headPosition(), before, 'the store is unchanged');
});
