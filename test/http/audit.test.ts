/**
 * What an auditor and a recorder rely on: the event log filtered and paged by
 * cursor, one stream with its revision, optimistic concurrency with If-Match,
 * explicit replays, and an NDJSON export that streams a large log with
 * bounded memory.
 */
import http from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { syntheticHistory } from '../../seeds/synthetic.js';
import { toProposal } from '../../src/http/routes/events.js';
import type { LedgerWriter } from '../../src/ledger/writer.js';
import {
  departed,
  deployed,
  dispatch,
  donation,
  itemType,
  line,
  party,
  receipt,
  transfer,
  world,
} from '../support/fixtures.js';
import { bearer, testLedger } from '../support/ledger.js';

t.test('GET /v1/events: filters and cursor', async (t) => {
  const { inject } = await testLedger(t);
  const post = (payload: object) => inject('recorder', { method: 'POST', url: '/v1/events', payload });
  t.equal((await post([...world(), itemType('radio', 'communications')])).statusCode, 201);
  const serialised = donation('us-inl', 'mss', [line('rifle', 2, ['SN-001', 'SN-002'])], '2025-01-10');
  await post(serialised);
  await post(donation('us-inl', 'hnp', [line('radio', 5)], '2025-02-10'));
  await post(transfer('mss', 'hnp', [line('rifle', 1, ['SN-002'])], '2025-03-10'));
  await post(dispatch('ship-1', 'us-inl', 'mss', [line('apc', 2)], '2025-04-01'));
  await post(receipt('ship-1', [line('apc', 2)], '2025-04-03'));
  const get = async (query: string) => {
    const response = await inject('auditor', { method: 'GET', url: `/v1/events?${query}` });
    t.equal(response.statusCode, 200, query);
    return response.json() as {
      events: { type: string; data: Record<string, unknown>; globalPosition: number }[];
      next: number | null;
    };
  };
  const types = async (query: string) => (await get(query)).events.map((e) => e.type);

  t.same(await types('party=hnp'), ['PartyRegistered', 'DonationReceived', 'MaterielTransferred'], 'party');
  t.same(await types('item=rifle'), ['ItemTypeRegistered', 'DonationReceived', 'MaterielTransferred'], 'item');
  t.same(await types('serial=SN-002'), ['DonationReceived', 'MaterielTransferred'], 'serial');
  t.same(await types('type=ShipmentDispatched,ShipmentReceived'), ['ShipmentDispatched', 'ShipmentReceived'], 'types');
  t.same(await types('type=ShipmentDispatched&type=DonationReceived'), [
    'DonationReceived',
    'DonationReceived',
    'ShipmentDispatched',
  ]);
  t.same(
    await types('occurredFrom=2025-02-10&occurredTo=2025-03-10'),
    ['DonationReceived', 'MaterielTransferred'],
    'occurred range, inclusive',
  );
  t.same(await types('stream=ledger&party=mss&item=apc'), ['ShipmentDispatched'], 'filters combine');
  t.same(await types('stream=elsewhere'), []);
  const today = new Date().toISOString().slice(0, 10);
  t.equal((await get(`recordedFrom=${today}&recordedTo=${today}&limit=1000`)).events.length, 13, 'recorded range');
  t.same((await get('recordedTo=2000-01-01')).events, [], 'nothing recorded then');

  // Cursor pagination through a filter.
  const seen: string[] = [];
  let after = 0;
  for (let pages = 0; pages < 10; pages++) {
    const page = await get(`party=us-inl&limit=2&after=${after}`);
    seen.push(...page.events.map((e) => e.type));
    if (page.next === null) break;
    after = page.next;
  }
  t.same(seen, ['PartyRegistered', 'DonationReceived', 'DonationReceived', 'ShipmentDispatched'], 'pages add up');
});

t.test('streams, If-Match and replays', async (t) => {
  const { inject } = await testLedger(t);
  const post = (payload: object, headers: Record<string, string> = {}) =>
    inject('recorder', { method: 'POST', url: '/v1/events', payload, headers });
  const setup = await post(world());
  t.equal(setup.headers.etag, `"${world().length - 1}"`, 'a post answers with the revision it produced');

  const stream = await inject('recorder', { method: 'GET', url: '/v1/streams/ledger?limit=3' });
  t.equal(stream.statusCode, 200);
  const revision = stream.json().revision as number;
  t.equal(revision, world().length - 1);
  t.equal(stream.headers.etag, `"${revision}"`);
  t.equal(stream.json().events.length, 3);
  t.equal(stream.json().next, 2);
  const rest = await inject('auditor', { method: 'GET', url: '/v1/streams/ledger?after=2&limit=100' });
  t.equal(rest.json().events[0].streamRevision, 3);
  t.equal(rest.json().next, null);
  const missing = await inject('auditor', { method: 'GET', url: '/v1/streams/nothing-here' });
  t.equal(missing.statusCode, 404);
  t.match(missing.headers['content-type'], /problem\+json/);

  const gift = donation('us-inl', 'mss', [line('rifle', 10)]);
  const ok = await post(gift, { 'if-match': `"${revision}"` });
  t.equal(ok.statusCode, 201, 'recorded at the expected revision');
  const moved = await post(donation('us-inl', 'mss', [line('rifle', 1)]), { 'if-match': `"${revision}"` });
  t.equal(moved.statusCode, 412, 'the ledger moved on: 412');
  t.match(moved.json(), {
    type: 'urn:mss-ledger:rule:expected-revision-mismatch',
    rule: 'expected-revision-mismatch',
    context: { expectedRevision: revision, currentRevision: revision + 1 },
  });
  const retried = await post(gift, { 'if-match': `"${revision}"` });
  t.equal(retried.statusCode, 200, 'a retry of a recorded batch is a replay, not a 412');
  t.equal(retried.headers['idempotent-replayed'], 'true', 'and says so in a header');
  t.equal(retried.json().replayed, true);
  t.equal(
    (await post(donation('us-inl', 'mss', [line('rifle', 1)]), { 'if-match': '*' })).statusCode,
    201,
    'If-Match: * is no condition',
  );

  // Two recorders decide on the same revision; only the first lands.
  const now = (await inject('auditor', { method: 'GET', url: '/v1/streams/ledger?limit=1' })).json().revision as number;
  const [a, b] = await Promise.all([
    post(party('donor-a', 'donor'), { 'if-match': `"${now}"` }),
    post(party('donor-b', 'donor'), { 'if-match': `"${now}"` }),
  ]);
  t.same([a.statusCode, b.statusCode].sort(), [201, 412], 'one wins, one is told the ledger moved');
});

/** Records `count` synthetic events through the writer, in batches (as `npm run seed -- --synthetic` does). */
async function seedSynthetic(writer: LedgerWriter, count: number) {
  let batch: IncomingEvent[] = [];
  for (const event of syntheticHistory(count, { seed: 7 })) {
    batch.push(event);
    if (batch.length === 2000) {
      await writer.submit({ proposals: batch.map(toProposal), recordedBy: 'seed:synthetic' });
      batch = [];
    }
  }
  if (batch.length > 0) await writer.submit({ proposals: batch.map(toProposal), recordedBy: 'seed:synthetic' });
}

t.test('export: a large log streams as NDJSON with bounded memory', async (t) => {
  const { app, ledger, store, inject } = await testLedger(t);
  await seedSynthetic(ledger.writer, 50_000);
  const head = await store.headPosition();
  t.ok(head >= 50_000, `${head} events in the log`);

  let pagesRead = 0;
  const readAll = store.readAll.bind(store);
  store.readAll = (options) => {
    pagesRead++;
    return readAll(options);
  };
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  // What the export holds on to, not the garbage it makes: measured after a full GC.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const retained = () => {
    gc();
    return process.memoryUsage().heapUsed;
  };
  const baseline = retained();
  let peak = baseline;
  const result = await new Promise<{
    lines: number;
    bytes: number;
    chunks: number;
    pagesWhilePaused: number;
    first: string;
    last: string;
    type: string;
  }>((resolve, reject) => {
    http
      .get(`http://127.0.0.1:${port}/v1/events/export`, { headers: bearer('auditor') }, (response) => {
        let lines = 0;
        let bytes = 0;
        let chunks = 0;
        let tail = '';
        let first = '';
        let pagesWhilePaused = -1;
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          chunks++;
          bytes += Buffer.byteLength(chunk);
          const text = tail + chunk;
          const parts = text.split('\n');
          tail = parts.pop() ?? '';
          if (!first) first = parts[0] ?? '';
          lines += parts.length;
          if (chunks === 1) {
            // A slow client: stop reading, and see that the server stops reading the store too.
            response.pause();
            const before = pagesRead;
            setTimeout(() => {
              pagesWhilePaused = pagesRead - before;
              peak = Math.max(peak, retained());
              response.resume();
            }, 300);
          } else if (chunks % 100 === 0) {
            response.pause();
            setTimeout(() => {
              peak = Math.max(peak, retained());
              response.resume();
            }, 20);
          }
        });
        response.on('end', () =>
          resolve({
            lines,
            bytes,
            chunks,
            pagesWhilePaused,
            first,
            last: tail,
            type: String(response.headers['content-type']),
          }),
        );
        response.on('error', reject);
      })
      .on('error', reject);
  });
  t.match(result.type, /^application\/x-ndjson/);
  t.equal(result.lines, head, 'every event, one per line');
  t.equal(result.last, '', 'the last line is complete');
  t.equal(JSON.parse(result.first).globalPosition, 1, 'oldest first');
  t.ok(result.chunks > 10, `streamed in ${result.chunks} chunks`);
  t.ok(
    result.pagesWhilePaused >= 0 && result.pagesWhilePaused <= 3,
    `while the client paused, the server read ${result.pagesWhilePaused} pages (backpressure)`,
  );
  const growth = peak - baseline;
  t.ok(
    growth < 16 * 1024 * 1024 && growth < result.bytes / 4,
    `the heap retained at most ${(growth / 1e6).toFixed(1)} MB more while exporting ${(result.bytes / 1e6).toFixed(1)} MB`,
  );

  const filtered = await inject('auditor', {
    method: 'GET',
    url: '/v1/events/export?type=PersonnelDeployed&after=40000',
  });
  const lines = filtered.body
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; globalPosition: number });
  t.ok(
    lines.length > 0 && lines.every((e) => e.type === 'PersonnelDeployed' && e.globalPosition > 40_000),
    `a filtered export (${lines.length} events)`,
  );
  t.equal(filtered.headers['x-ledger-position'], String(head));
});

t.test('GET /v1/events?country=: the personnel events of one contributing country', async (t) => {
  const { inject } = await testLedger(t);
  const post = (payload: object) => inject('recorder', { method: 'POST', url: '/v1/events', payload });
  t.equal((await post(world())).statusCode, 201);
  await post(deployed('kenya', 10));
  await post(deployed('jamaica', 5));
  await post(departed('kenya', 2));
  const get = async (query: string) =>
    (await inject('auditor', { method: 'GET', url: `/v1/events?${query}` })).json<{
      events: { type: string; data: { country?: string } }[];
    }>().events;
  const kenya = await get('country=kenya');
  t.same(
    kenya.map((e) => `${e.type} ${e.data.country}`),
    ['PersonnelDeployed kenya', 'PersonnelDeparted kenya'],
    "only Kenya's arrivals and departures",
  );
  t.same(await get('country=haiti'), [], 'nothing for a country with no personnel');
  const bad = await inject('auditor', { method: 'GET', url: '/v1/events?country=Not%20A%20Slug' });
  t.equal(bad.statusCode, 400, 'a malformed country is a 400 problem');
});
