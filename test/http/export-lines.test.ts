/**
 * GET /v1/events/export on the embedded store takes its lines from the store's rows, unparsed, when
 * the filter reads only the envelope (or there is none), and reads and serializes events when it
 * looks into the data. Whichever way, an auditor gets the same lines: `exportLine` of each event the
 * filter keeps, in order.
 */
import t from 'tap';
import type { RecordedEvent } from '../../events/index.js';
import { eventPredicate, type EventFilter } from '../../src/http/routes/event-filter.js';
import { exportLine } from '../../src/log/leaf.js';
import type { EventStore } from '../../src/store/port.js';
import { testLedger } from '../support/ledger.js';

t.test('an export gives the lines of the events its filter keeps, from rows or from events', async (t) => {
  let fromRows = 0;
  // A spy on the store's unparsed lines, everything else passed through.
  const spy = <S extends EventStore>(store: S): EventStore =>
    new Proxy(store, {
      get(target, property) {
        if (property === 'readExportLines')
          return (...args: Parameters<NonNullable<EventStore['readExportLines']>>) => {
            fromRows++;
            return target.readExportLines!(...args);
          };
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  const { inject, store } = await testLedger(t, { seed: true, wrapStore: spy });
  const events: RecordedEvent[] = await store.readAll();
  t.ok(events.length > 30, `the seeded history: ${events.length} events`);
  const recorder = events[0]!.recordedBy;
  const party = 'kenya';

  const cases: { query: string; filter: EventFilter; after?: number; rows: boolean }[] = [
    { query: '', filter: {}, rows: true },
    { query: 'after=10', filter: {}, after: 10, rows: true },
    { query: 'type=PersonnelDeployed', filter: { type: ['PersonnelDeployed'] }, rows: true },
    {
      query: 'type=DonationReceived,PartyRegistered&after=3',
      filter: { type: ['DonationReceived', 'PartyRegistered'] },
      after: 3,
      rows: true,
    },
    {
      query: 'occurredFrom=2024-07-01&occurredTo=2025-01-31',
      filter: { occurredFrom: '2024-07-01', occurredTo: '2025-01-31' },
      rows: true,
    },
    { query: `recordedBy=${recorder}&stream=ledger`, filter: { recordedBy: recorder, stream: 'ledger' }, rows: true },
    { query: `party=${party}`, filter: { party }, rows: false },
    {
      query: `type=PersonnelDeployed&party=${party}`,
      filter: { type: ['PersonnelDeployed'], party },
      rows: false,
    },
  ];
  for (const { query, filter, after = 0, rows } of cases) {
    const keep = eventPredicate(filter);
    const expected = events
      .filter((event) => event.globalPosition > after && (keep === undefined || keep(event)))
      .map((event) => `${exportLine(event)}\n`)
      .join('');
    const before = fromRows;
    const answer = await inject('auditor', { method: 'GET', url: `/v1/events/export?${query}` });
    t.equal(answer.statusCode, 200, query || '(no filter)');
    t.equal(answer.body, expected, `${query || '(no filter)'}: the lines of the events kept`);
    t.equal(fromRows > before, rows, rows ? 'made from the rows' : 'made from the events read');
  }
  t.ok(
    cases.some(({ filter }) => events.some((e) => eventPredicate(filter)?.(e) === false)),
    'some filters leave events out',
  );
});
