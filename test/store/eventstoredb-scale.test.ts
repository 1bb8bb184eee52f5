/**
 * The EventStoreDB adapter at scale, on the protocol double, counted in the double's own calls:
 * a restart with a saved id index on a long $all reads only the tail; a first catch-up reads the
 * ledger's records once per reader, in pages the server filters; an append whose ids the index
 * rules out is one round trip; the server version and `throwOnAppendFailure=false` are guarded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { syntheticHistory } from '../../seeds/synthetic.js';
import { toProposal } from '../../src/http/routes/events.js';
import { LedgerWriter } from '../../src/ledger/writer.js';
import { saveCheckpoint } from '../../src/read/checkpoint.js';
import { Projector, SUMS } from '../../src/read/projector.js';
import { StartupError } from '../../src/store/data-dir.js';
import {
  ID_INDEX_CHECKPOINT,
  openEventStoreDbStore,
  serverVersionProblem,
  type SavedIdIndex,
} from '../../src/store/eventstoredb.js';
import { IdIndex } from '../../src/store/id-index.js';
import {
  IdempotencyConflictError,
  WrongExpectedRevisionError,
  type EventStore,
  type EventToAppend,
} from '../../src/store/port.js';
import { startEventStoreDbDouble, type EventStoreDbDouble } from '../eventstoredb-double/server.js';
import { EXPECTED_ANY } from '../eventstoredb-double/log.js';
import { event, events } from './contract.js';

const fast = { resubscribeDelayMs: { initial: 20, max: 200 } };
const LEDGER = 'ledger';
const PRELOADED = 200_000;

/** Writes events straight into the double's log in the adapter's own record layout, as an earlier run would have. */
function preload(double: EventStoreDbDouble, stream: string, batch: EventToAppend[]): void {
  const outcome = double.log.write(
    stream,
    EXPECTED_ANY,
    batch.map((e) => ({
      id: e.id,
      type: e.type,
      contentType: 'application/json',
      data: Buffer.from(JSON.stringify(e.data)),
      metadata: Buffer.from(
        JSON.stringify({
          ...e.metadata,
          occurredAt: e.occurredAt,
          recordedBy: e.recordedBy,
          schemaVersion: e.schemaVersion,
        }),
      ),
    })),
  );
  if (outcome.kind !== 'written') throw new Error('preload failed');
}

/**
 * The index an earlier run would have saved at its stop, for everything the log holds now (a
 * first open that reads 200,000 events through the double takes a minute on a shared machine;
 * the save-and-take-up round trip itself is tested below on a shorter log).
 */
async function savedIndexOf(double: EventStoreDbDouble, file: string, streams: string[]): Promise<void> {
  const index = new IdIndex();
  const revisions = new Map<string, number>();
  let last = 0;
  for (const record of double.log.records) {
    if (record.stream.startsWith('$')) continue;
    last = record.position;
    if (!streams.includes(record.stream)) continue;
    index.add(record.id, record.position);
    revisions.set(record.stream, record.revision);
  }
  const first = double.log.records.find((r) => !r.stream.startsWith('$'))!;
  const state: SavedIdIndex = { index: index.export(), revisions: [...revisions], streams: [...streams].sort() };
  const firstEventOnly = { readAll: async () => [{ id: first.id }] } as unknown as EventStore;
  await saveCheckpoint(file, ID_INDEX_CHECKPOINT, last, state, firstEventOnly);
}

t.test(
  `restart with a saved id index on a long $all (${PRELOADED.toLocaleString('en')} events): only the tail is read`,
  async (t) => {
    const double = await startEventStoreDbDouble();
    const dir = mkdtempSync(path.join(tmpdir(), 'esdb-index-'));
    t.teardown(async () => {
      await double.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const indexFile = path.join(dir, 'projections.ids.checkpoint');
    const early = events(3);
    preload(double, LEDGER, early);
    for (let i = 0; i < PRELOADED / 5000; i++) preload(double, LEDGER, events(5000));
    // Another application's stream on the same server: not the ledger's, not indexed.
    preload(double, 'orders-1', events(10));
    await savedIndexOf(double, indexFile, [LEDGER]);

    // Appended while no replica ran: the tail the next open must read.
    const tail = events(50);
    preload(double, LEDGER, tail);
    const all = double.log.records.length;

    double.resetCounts();
    const store = await openEventStoreDbStore({
      connectionString: double.connectionString,
      indexStreams: [LEDGER],
      indexFile,
      ...fast,
    });
    t.teardown(() => store.close());
    const opened = double.resetCounts();
    t.ok(
      opened.recordsRead + opened.recordsPushed < all * 0.01,
      `the open read ${opened.recordsRead + opened.recordsPushed} records of ${all} (< 1%)`,
    );
    t.ok(opened.reads <= 6, `in ${opened.reads} reads and ${opened.subscriptions} subscription`);
    t.equal(store.idIndexStats.ids, PRELOADED + 3 + 50, 'the tail is indexed');

    // Idempotent replays of ids from before the restart, and from the tail.
    const replay = await store.append(LEDGER, early, 'any');
    t.equal(replay.replayed, true, 'a batch stored before the restart is a replay');
    t.same(
      replay.events.map((e) => e.globalPosition),
      early.map((e) => double.log.records.find((r) => r.id === e.id)!.position),
      'with the original positions',
    );
    const tailReplay = await store.append(LEDGER, tail.slice(0, 2), 'any');
    t.equal(tailReplay.replayed, true, 'a batch from the tail too');
    const conflict = await store
      .append(LEDGER, [{ ...early[2]!, data: { other: true } }], 'any')
      .catch((e: unknown) => e);
    t.type(conflict, IdempotencyConflictError, 'an old id with other content is a conflict');
    const found = await store.readByIds([early[1]!.id, randomUUID()]);
    t.same(
      found.map((e) => e.id),
      [early[1]!.id],
      'readByIds finds the old id and only it',
    );
    t.equal((double.log.stream(LEDGER) ?? []).length, PRELOADED + 3 + 50, 'nothing written twice');
  },
);

t.test('the adapter saves its index at a stop and takes it up at the next open', async (t) => {
  const double = await startEventStoreDbDouble();
  const dir = mkdtempSync(path.join(tmpdir(), 'esdb-index-'));
  t.teardown(async () => {
    await double.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const indexFile = path.join(dir, 'projections.ids.checkpoint');
  const options = { connectionString: double.connectionString, indexStreams: [LEDGER], indexFile, ...fast };
  const early = events(2);
  preload(double, LEDGER, early);
  for (let i = 0; i < 4; i++) preload(double, LEDGER, events(1000));

  const first = await openEventStoreDbStore(options);
  t.ok(double.counts.recordsRead >= 4000, 'without a saved index, the first open reads $all');
  const later = await first.append(LEDGER, events(5), 4001);
  await first.saveIdIndex(indexFile);
  await first.close();
  preload(double, LEDGER, events(7));

  double.resetCounts();
  const again = await openEventStoreDbStore(options);
  t.teardown(() => again.close());
  const opened = double.resetCounts();
  t.ok(opened.recordsRead < 200, `the next open read ${opened.recordsRead} records, not $all`);
  t.equal(again.idIndexStats.ids, 4002 + 5 + 7, 'every ledger id, the tail included');
  t.equal((await again.append(LEDGER, early, 'any')).replayed, true, 'an early batch is a replay');
  t.equal(
    (await again.append(LEDGER, later.events.map(asToAppend), 'any')).replayed,
    true,
    'so is one the first adapter wrote',
  );

  // A saved index of another store (another first event) is not taken up.
  const other = await startEventStoreDbDouble();
  t.teardown(() => other.close());
  preload(other, LEDGER, events(3));
  const elsewhere = await openEventStoreDbStore({ ...options, connectionString: other.connectionString });
  t.equal(elsewhere.idIndexStats.ids, 3, 'the index is built from that store');
  await elsewhere.close();
});

t.test(
  'a first catch-up reads the ledger once, in large pages the server filters, reversal targets ahead',
  async (t) => {
    const double = await startEventStoreDbDouble();
    t.teardown(() => double.close());
    const history = [...syntheticHistory(9000, { seed: 5 })].map((e) => ({ ...toProposal(e), recordedBy: 'test' }));
    const reversals = history.filter((e) => e.type === 'EntryReversed').length;
    t.ok(reversals > 20, `the history holds ${reversals} reversals, each with a target to read`);
    let foreign = 0;
    for (let i = 0; i < history.length; i += 1000) {
      preload(double, LEDGER, history.slice(i, i + 1000));
      // Other traffic on the same server between the ledger's writes: another application's stream, the server's own records.
      preload(double, 'orders-1', events(50));
      double.log.writeSystemEvent();
      foreign += 51;
    }

    double.resetCounts();
    const store = await openEventStoreDbStore({
      connectionString: double.connectionString,
      indexStreams: [LEDGER],
      ...fast,
    });
    t.teardown(() => store.close());
    const opened = double.resetCounts();
    // A read from a position includes the record there: each read after the first repeats one.
    t.ok(
      opened.recordsRead >= history.length && opened.recordsRead <= history.length + opened.reads,
      `the open's index read returned ${opened.recordsRead} records: the ledger's ${history.length}, none of the ${foreign} others`,
    );
    t.ok(opened.reads <= history.length / 1000 + 1, `in ${opened.reads} reads of up to 1,000`);
    t.equal(store.idIndexStats.ids, history.length, 'every ledger id indexed');

    const projector = new Projector(store);
    t.teardown(() => projector.close());
    await projector.start();
    const folded = double.resetCounts();
    const pages = Math.ceil(history.length / 4000);
    // The head (one backwards read of 100), the pages (one call each, and one that finds the end),
    // one read per reversal's target: nothing else, and no record of another stream.
    t.ok(folded.reads <= 1 + pages + 1 + reversals, `in ${folded.reads} reads (${pages} pages of 4,000)`);
    t.ok(
      folded.recordsRead >= history.length + reversals &&
        folded.recordsRead <= history.length + reversals + 100 + folded.reads,
      `the catch-up read ${folded.recordsRead} records: the ledger's ${history.length} once, ${reversals} targets, ` +
        `the head, none of the ${foreign} others`,
    );
    t.ok(folded.recordsPushed <= 50, 'the subscription takes over after the last page: only what followed it');
    t.equal(projector.state.position, await store.headPosition(), 'caught up to the head');

    // What the pages folded equals the fold through the subscription alone, event by event.
    const reference = new Projector(store, { bulkCatchUp: Number.POSITIVE_INFINITY });
    t.teardown(() => reference.close());
    await reference.start();
    t.ok(double.counts.recordsPushed >= history.length, 'the reference folded through the subscription');
    const view = (p: Projector, asOf?: number, knownAt?: number) => {
      const slice = p.slice(asOf, knownAt);
      return JSON.stringify({ position: slice.position, sums: SUMS.map((name) => p.sum(name, slice)) });
    };
    t.equal(view(projector), view(reference), 'the same projections now');
    const ledgerRecords = double.log.records.filter((r) => r.stream === LEDGER);
    const recorded = ledgerRecords.map((r) => Number(r.created / 10_000n));
    // The last ledger event a slice covers. The subscription also sees the other streams' records,
    // so its slice may end on one recorded in the same millisecond: the same ledger events, another position.
    const lastLedgerEventIn = (p: Projector, asOf: number, knownAt: number) => {
      const { position } = p.slice(asOf, knownAt);
      return ledgerRecords.filter((r) => r.position <= position).at(-1)?.position;
    };
    for (const at of [0.25, 0.5, 0.75]) {
      const knownAt = recorded[Math.floor(recorded.length * at)]!;
      const asOf = Date.parse('2025-06-01');
      t.equal(lastLedgerEventIn(projector, asOf, knownAt), lastLedgerEventIn(reference, asOf, knownAt));
      t.equal(
        JSON.stringify(SUMS.map((name) => projector.sum(name, projector.slice(asOf, knownAt)))),
        JSON.stringify(SUMS.map((name) => reference.sum(name, reference.slice(asOf, knownAt)))),
      );
    }
    t.same(projector.state.catalog, reference.state.catalog, 'the same catalogue');

    // The writer's book at a first start: the same pages, then its subscription from the last position.
    const writer = new LedgerWriter(store, { timeoutMs: 10_000 });
    t.teardown(() => writer.close());
    double.resetCounts();
    await writer.start();
    const booked = double.resetCounts();
    t.ok(
      booked.reads <= 1 + pages + 1 + reversals &&
        booked.recordsRead <= history.length + reversals + 100 + booked.reads &&
        booked.recordsPushed <= 50,
      `the book read ${booked.recordsRead} records in ${booked.reads} reads, and ${booked.recordsPushed} through its subscription`,
    );
    // Against a writer that can only follow the subscription (the store without paged reads).
    const subscriptionOnly = new Proxy(store, {
      get(target, key) {
        if (key === 'readPageForFold') return undefined;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const followed = new LedgerWriter(subscriptionOnly, { timeoutMs: 10_000 });
    t.teardown(() => followed.close());
    const subscriptions = double.counts.subscriptions;
    await followed.start();
    // Its subscription rides the index's (the book wants the ledger stream alone): what was stored
    // before it joined is read in pages, the rest delivered as the index subscription receives it.
    t.equal(
      double.counts.subscriptions,
      subscriptions,
      'that one followed the index subscription, with no call of its own',
    );
    t.same(writer.book, followed.book, 'the book folded from pages equals the book folded through the subscription');
  },
);

t.test('an append the index rules out is one round trip: the append, no reads', async (t) => {
  const double = await startEventStoreDbDouble();
  t.teardown(() => double.close());
  const store = await openEventStoreDbStore({
    connectionString: double.connectionString,
    indexStreams: [LEDGER],
    ...fast,
  });
  t.teardown(() => store.close());
  let revision = (await store.append(LEDGER, events(2), 'no-stream')).streamRevision;

  double.resetCounts();
  const results = [];
  for (let i = 0; i < 20; i++) {
    t.same(await store.readByIds([randomUUID()]), [], 'an unknown id is answered from the index');
    const result = await store.append(LEDGER, events(3), revision);
    revision = result.streamRevision;
    results.push(result);
  }
  const counted = double.resetCounts();
  t.equal(counted.appends, 20, 'one append each');
  t.equal(counted.reads, 0, 'and no read: positions come from the append and the subscription');
  for (const result of results) {
    t.same(
      result.events.map((e) => [e.id, e.globalPosition]),
      result.events.map((e) => [e.id, double.log.records.find((r) => r.id === e.id)!.position]),
      'each event with its own stored position',
    );
  }

  // A replay is a hit in the index: read to confirm it, never written again.
  const again = await store.append(LEDGER, results[3]!.events.map(asToAppend), 'any');
  t.equal(again.replayed, true);
  t.equal(double.counts.appends, 0, 'a replay sends no append');
});

t.test('throwOnAppendFailure=false behaves exactly like the default', async (t) => {
  for (const batchAppend of [true, false]) {
    const double = await startEventStoreDbDouble({ batchAppend });
    t.teardown(() => double.close());
    for (const suffix of ['', '&throwOnAppendFailure=false']) {
      const store = await openEventStoreDbStore({
        connectionString: `${double.connectionString}${suffix}`,
        ...fast,
      });
      const stream = `ledger-${randomUUID()}`;
      const stored = await store.append(stream, events(2), 'no-stream');
      const error = await store.append(stream, events(1), 0).catch((e: unknown) => e);
      const where = `${batchAppend ? 'BatchAppend' : 'Append'}${suffix}`;
      t.type(error, WrongExpectedRevisionError, `${where}: a wrong revision is refused, not taken for a replay`);
      t.equal((error as WrongExpectedRevisionError).actual, 1, `${where}: with the actual revision`);
      const replay = await store.append(stream, stored.events.map(asToAppend), 'no-stream');
      t.equal(replay.replayed, true, `${where}: a replay is still a replay`);
      t.equal((double.log.stream(stream) ?? []).length, 2, `${where}: nothing written`);
      await store.close();
    }
  }
});

t.test('a server older than 23.10 is refused at open with one line', async (t) => {
  const double = await startEventStoreDbDouble({ serverVersion: '22.10.2' });
  t.teardown(() => double.close());
  const error = await openEventStoreDbStore({ connectionString: double.connectionString, ...fast }).catch(
    (e: unknown) => e,
  );
  t.type(error, StartupError, 'not a store fault: connectWithRetry does not retry it');
  t.match(
    (error as Error).message,
    /version 22\.10\.2: MSS Ledger needs 23\.10 or later/,
    'names the version found and the one needed',
  );
  t.notMatch((error as Error).message, /\n/, 'in one line');
  t.equal(serverVersionProblem('23.10.0'), undefined);
  t.equal(serverVersionProblem('24.2.0-prerelease'), undefined);
  t.match(serverVersionProblem('23.6.1'), /needs 23\.10/);
  t.match(serverVersionProblem('unknown'), /does not report its version/);
});

t.test('a retry another replica stored first, not yet seen here: answered with the original', async (t) => {
  // An append sent with the index's own knowledge of the stream must still lose a revision race.
  const double = await startEventStoreDbDouble();
  t.teardown(() => double.close());
  const a = await openEventStoreDbStore({ connectionString: double.connectionString, indexStreams: [LEDGER], ...fast });
  const b = await openEventStoreDbStore({ connectionString: double.connectionString, indexStreams: [LEDGER], ...fast });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  await a.append(LEDGER, events(1), 'no-stream');
  const retried = event();
  // b writes it; a has not seen it yet (the append's hook runs before a's write is decided).
  double.beforeNextAppend(() => b.append(LEDGER, [retried], 0));
  const result = await a.append(LEDGER, [retried], 0);
  t.equal(result.replayed, true, 'the loser of the race answers with the original');
  t.equal((double.log.stream(LEDGER) ?? []).filter((r) => r.id === retried.id).length, 1, 'stored once');
});

function asToAppend(e: {
  id: string;
  type: string;
  schemaVersion: number;
  occurredAt: string;
  recordedBy: string;
  data: unknown;
  metadata: EventToAppend['metadata'];
}): EventToAppend {
  return {
    id: e.id,
    type: e.type,
    schemaVersion: e.schemaVersion,
    occurredAt: e.occurredAt,
    recordedBy: e.recordedBy,
    data: e.data,
    metadata: e.metadata,
  };
}
