/**
 * The tree thread reads the store's rows and makes each leaf from the row's own JSON where it is
 * canonical already (src/log/tree-of-store.ts, `leafOfRow`), and from the parsed event where it is
 * not. Either way the tree, its structural check and the comparison of a saved tree's leaves must
 * be what they are when every event is parsed and serialized: rows as the store writes them now,
 * rows written before it wrote canonical JSON (or by another tool), and a mix of the two.
 */
import fc from 'fast-check';
import t from 'tap';
import type { RecordedEvent } from '../../events/index.js';
import { canonicalJson, exportLine } from '../../src/log/leaf.js';
import { LeafComparer, TreeBuilder } from '../../src/log/tree-of-store.js';
import type { RawEventRow } from '../../src/store/sqlite-rows.js';
import { event } from '../support/json-arbitraries.js';

const rowOf = (e: RecordedEvent, canonical: boolean): RawEventRow => [
  e.globalPosition,
  e.id,
  e.stream,
  e.streamRevision,
  e.type,
  e.schemaVersion,
  e.occurredAt,
  e.recordedAt,
  e.recordedBy,
  (canonical ? canonicalJson(e.data) : undefined) ?? JSON.stringify(e.data),
  (canonical ? canonicalJson(e.metadata) : undefined) ?? JSON.stringify(e.metadata),
];

const hasLine = (e: RecordedEvent) => {
  try {
    exportLine(e);
    return true;
  } catch {
    return false; // a lone surrogate: no line, as a row of the store never holds
  }
};

/** Events in position order, some in one stream with revisions that may skip (a structural break). */
const history = fc
  .array(fc.tuple(event, fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 12 })
  .map((items) =>
    items.map(([e, sameStream, canonical], i) => ({
      event: {
        ...(e as RecordedEvent),
        globalPosition: i + 1,
        stream: sameStream ? 'ledger' : e.stream,
        streamRevision: sameStream ? i : e.streamRevision,
      },
      canonical,
    })),
  )
  .filter((items) => items.every(({ event }) => hasLine(event)));

t.test('a tree made from rows is the tree of the events, however their JSON was written', async (t) => {
  fc.assert(
    fc.property(history, (items) => {
      const fromEvents = new TreeBuilder();
      const fromRows = new TreeBuilder();
      for (const { event: e, canonical } of items) {
        fromEvents.add(e);
        fromRows.addRow(rowOf(e, canonical));
      }
      const root = (b: TreeBuilder) => Buffer.from(b.tree.root()).toString('hex');
      if (root(fromRows) !== root(fromEvents)) throw new Error('the roots differ');
      if (JSON.stringify(fromRows.structural) !== JSON.stringify(fromEvents.structural))
        throw new Error(
          `structural ${JSON.stringify(fromRows.structural)} against ${JSON.stringify(fromEvents.structural)}`,
        );
      const positions = (b: TreeBuilder) => Array.from({ length: b.positions.count }, (_, i) => b.positions.at(i));
      if (JSON.stringify(positions(fromRows)) !== JSON.stringify(positions(fromEvents)))
        throw new Error('the positions differ');
    }),
    { numRuns: 1000 },
  );
  t.pass('1000 histories');
});

t.test('rows compared with a saved tree find the first leaf that differs where events do', async (t) => {
  fc.assert(
    fc.property(history, fc.nat(), fc.boolean(), (items, changeAt, canonical) => {
      const saved = new TreeBuilder();
      for (const { event: e } of items) saved.add(e);
      // The store as it is now: one event's data changed behind the log's back (or none, past the end).
      const index = changeAt % (items.length + 1);
      const now = items.map(({ event: e }, i) => (i === index ? { ...e, data: { changed: i } } : e));
      const byEvents = new LeafComparer(saved.tree.leafChunks(), items.length);
      const byRows = new LeafComparer(saved.tree.leafChunks(), items.length);
      for (const e of now) if (!byEvents.add(e)) break;
      for (const e of now) if (!byRows.addRow(rowOf(e, canonical))) break;
      if (JSON.stringify(byRows.result) !== JSON.stringify(byEvents.result))
        throw new Error(`rows ${JSON.stringify(byRows.result)}, events ${JSON.stringify(byEvents.result)}`);
      const expected = index < items.length ? index : -1;
      if (byRows.result.first !== expected)
        throw new Error(`first differing leaf ${byRows.result.first}, not ${expected}`);
    }),
    { numRuns: 500 },
  );
  t.pass('500 comparisons');
});
