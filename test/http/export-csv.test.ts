/**
 * The CSV export an auditor opens in a spreadsheet: asked for with
 * `format=csv` or `Accept: text/csv`, one row per line item (one row for an
 * event without lines), and, whatever the text holds (quotes, commas,
 * newlines), parsing it gives back what the NDJSON export says. And the
 * `recordedBy` filter on the log.
 */
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { CSV_COLUMNS } from '../../src/http/routes/events-csv.js';
import { toProposal } from '../../src/http/routes/events.js';
import { donation, line, newId, world } from '../support/fixtures.js';
import { testLedger } from '../support/ledger.js';

type Row = Record<string, string>;
interface Exported {
  id: string;
  globalPosition: number;
  recordedBy: string;
  data: { lines?: { itemType: string; quantity: Record<string, unknown>; serials?: { serial: string }[] }[] };
  metadata: { source?: Record<string, unknown> };
}

/** Text a spreadsheet chokes on when it is quoted badly. */
const awkward = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(
      fc.constantFrom('"', ',', '\n', '\r\n', ';', ' ', "'", '\t'),
      fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }),
    ),
    minLength: 1,
    maxLength,
  });

let serialCounter = 0;
const quantity = fc
  .record({
    value: fc.integer({ min: 1, max: 1_000_000 }),
    precision: fc.constantFrom('exact', 'at-least', 'approximate'),
    spread: fc.integer({ min: 0, max: 1000 }),
    reported: fc.option(awkward(60), { nil: undefined }),
  })
  .map(({ value, precision, spread, reported }) => ({
    value,
    precision,
    ...(precision === 'approximate' ? { upTo: value + spread } : {}),
    ...(reported === undefined ? {} : { reported }),
  }));
const lineItem = fc
  .record({ itemType: fc.constantFrom('rifle', 'apc', 'rounds'), quantity, serials: fc.boolean() })
  .map(({ itemType, quantity, serials }) => ({
    itemType,
    quantity,
    ...(serials ? { serials: [{ serial: `CSV-${++serialCounter}`, assigned: false }] } : {}),
  }));
const source = fc.record(
  {
    document: awkward(80),
    reference: awkward(40),
    reporter: awkward(40),
    note: awkward(120),
    alsoCites: fc.array(awkward(30), { minLength: 1, maxLength: 3 }),
  },
  { requiredKeys: ['document'] },
);
const event: fc.Arbitrary<IncomingEvent> = fc.oneof(
  fc
    .record({
      lines: fc.array(lineItem, { minLength: 1, maxLength: 4 }),
      source: fc.option(source, { nil: undefined }),
    })
    .map(
      ({ lines, source }) =>
        ({
          ...donation('us-inl', 'mss', lines as never),
          ...(source ? { source } : {}),
        }) as IncomingEvent,
    ),
  fc.record({ name: awkward(60), source }).map(
    ({ name, source }) =>
      ({
        id: newId(),
        type: 'PartyRegistered',
        occurredAt: '2025-01-05',
        data: { partyId: `donor-${serialCounter++}`, kind: 'donor', name },
        source,
      }) as IncomingEvent,
  ),
);

/** What the NDJSON export says, as the rows the CSV must hold: computed here, not by the code under test. */
function expectedRows(exported: Exported): Row[] {
  const s = exported.metadata.source ?? {};
  const text = (v: unknown) => (v === undefined ? '' : String(v));
  const envelope = {
    eventId: exported.id,
    position: String(exported.globalPosition),
    recordedBy: exported.recordedBy,
    sourceDocument: text(s.document),
    sourceReference: text(s.reference),
    sourceReporter: text(s.reporter),
    sourceNote: text(s.note),
    sourceAlsoCites: s.alsoCites === undefined ? '' : JSON.stringify(s.alsoCites),
  };
  const lines = exported.data.lines;
  if (!lines) return [{ ...envelope, lineNo: '', quantity: '' }];
  return lines.map((l, i) => ({
    ...envelope,
    lineNo: String(i + 1),
    itemType: l.itemType,
    quantity: text(l.quantity.value),
    quantityPrecision: text(l.quantity.precision),
    quantityUpTo: text(l.quantity.upTo),
    quantityReported: text(l.quantity.reported),
    serials: (l.serials ?? []).map((x) => x.serial).join(';'),
  }));
}

t.test('the CSV export gives back the NDJSON export, whatever the text holds', async (t) => {
  const { inject, store } = await testLedger(t);
  await inject('recorder', { method: 'POST', url: '/v1/events', payload: world() });
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 4 }), async (events) => {
      runs++;
      const after = await store.headPosition();
      const posted = await inject('recorder', { method: 'POST', url: '/v1/events', payload: events });
      if (posted.statusCode !== 201) throw new Error(`not recorded: ${posted.body}`);
      const ndjson = await inject('auditor', { method: 'GET', url: `/v1/events/export?after=${after}` });
      const exported = ndjson.body
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Exported);
      const csv = await inject('auditor', { method: 'GET', url: `/v1/events/export?after=${after}&format=csv` });
      const rows = parse(csv.body, { columns: true }) as Row[];
      const expected = exported.flatMap(expectedRows);
      if (rows.length !== expected.length) throw new Error(`${rows.length} rows for ${expected.length} expected`);
      expected.forEach((want, i) => {
        const row = rows[i] as Row;
        for (const [column, value] of Object.entries(want))
          if (row[column] !== value)
            throw new Error(`row ${i} ${column}: ${JSON.stringify(row[column])} ≠ ${JSON.stringify(value)}`);
      });
    }),
    { numRuns: 40 },
  );
  t.equal(runs >= 40, true, 'forty batches of awkward text round-trip');
});

t.test('asking for CSV, the header row, and what is refused', async (t) => {
  const { inject, ledger } = await testLedger(t);
  await inject('recorder', { method: 'POST', url: '/v1/events', payload: world() });
  await inject('recorder', {
    method: 'POST',
    url: '/v1/events',
    payload: donation('us-inl', 'mss', [line('rifle', 600), line('rounds', 20_000)]),
  });
  const byAccept = await inject('auditor', {
    method: 'GET',
    url: '/v1/events/export',
    headers: { accept: 'text/csv' },
  });
  t.equal(byAccept.statusCode, 200);
  t.match(byAccept.headers['content-type'], /^text\/csv; charset=utf-8/);
  t.match(byAccept.headers['content-disposition'], /filename="mss-ledger-events\.csv"/);
  const [header, ...rest] = byAccept.body.trimEnd().split('\n');
  t.same(header?.split(','), Object.keys(CSV_COLUMNS), 'the documented columns, in order');
  t.equal(rest.length, world().length + 2, 'one row per event without lines, one per line item');
  const rows = parse(byAccept.body, { columns: true }) as Row[];
  t.same(
    rows.slice(-2).map((r) => [r.lineNo, r.itemType, r.quantity]),
    [
      ['1', 'rifle', '600'],
      ['2', 'rounds', '20000'],
    ],
  );
  t.equal(rows.at(-1)?.eventId, rows.at(-2)?.eventId, 'the rows of one event share its id');
  t.same(JSON.parse(rows.at(-1)?.details ?? '{}'), { donor: 'us-inl', recipient: 'mss' }, 'details hold the rest');

  const explicit = await inject('auditor', {
    method: 'GET',
    url: '/v1/events/export?format=ndjson',
    headers: { accept: 'text/csv' },
  });
  t.match(explicit.headers['content-type'], /^application\/x-ndjson/, 'format=ndjson wins over Accept');
  const plain = await inject('auditor', { method: 'GET', url: '/v1/events/export' });
  t.match(plain.headers['content-type'], /^application\/x-ndjson/, 'NDJSON stays the default');
  const filtered = await inject('auditor', { method: 'GET', url: '/v1/events/export?format=csv&item=rounds' });
  t.same(
    (parse(filtered.body, { columns: true }) as Row[]).map((r) => r.itemType),
    ['rounds', 'rifle', 'rounds'],
    'filters apply (whole events: the rounds type, and the donation that moves rounds)',
  );
  const bad = await inject('auditor', { method: 'GET', url: '/v1/events/export?format=xlsx' });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().field, 'format');
  t.equal((await inject('recorder', { method: 'GET', url: '/v1/events/export?format=csv' })).statusCode, 403);
  t.ok(ledger, 'the ledger is up');
});

t.test('GET /v1/events?recordedBy=', async (t) => {
  const { inject, ledger } = await testLedger(t);
  await inject('recorder', { method: 'POST', url: '/v1/events', payload: world() });
  await ledger.writer.submit({
    proposals: [donation('us-inl', 'mss', [line('rifle', 5)])].map(toProposal),
    recordedBy: 'seed:mission',
  });
  await inject('recorder', {
    method: 'POST',
    url: '/v1/events',
    payload: donation('us-inl', 'mss', [line('rifle', 1)]),
  });
  const by = async (who: string) =>
    (await inject('auditor', { method: 'GET', url: `/v1/events?recordedBy=${encodeURIComponent(who)}` })).json()
      .events as { recordedBy: string }[];
  const mine = await by('test-recorder');
  t.equal(mine.length, world().length + 1);
  t.ok(
    mine.every((e) => e.recordedBy === 'test-recorder'),
    'only the recorder’s events',
  );
  t.same(
    (await by('seed:mission')).map((e) => e.recordedBy),
    ['seed:mission'],
  );
  t.same(await by('nobody'), []);
  const bad = await inject('auditor', { method: 'GET', url: '/v1/events?recordedBy=two%20words' });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().field, 'recordedBy');
});
