/**
 * How the writer's book follows the store: a book restored from a checkpoint, a history holding
 * reversals, another writer's events arriving through the feed (late, or not at all), a feed that
 * fails for a while, and a history the book cannot fold. Whatever the way, the book the rules read
 * must be what a replay of the store gives. (Mutation testing found these paths held by no writer
 * test: test/mutation/README.md.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { toProposal } from '../../src/http/routes/events.js';
import { LEDGER_STREAM, onHand, type Book } from '../../src/ledger/book.js';
import { RejectionError } from '../../src/ledger/rules.js';
import { LedgerWriter, type WriterOptions } from '../../src/ledger/writer.js';
import { StoreFault } from '../../src/store/faults.js';
import type { EventStore, EventToAppend, SubscribeHandlers } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { donation, line, party, reversal, world } from '../support/fixtures.js';
import { faulty, type FaultyStore } from '../support/faulty-store.js';

const submit = (writer: LedgerWriter, events: IncomingEvent[]) =>
  writer.submit({ proposals: events.map(toProposal), recordedBy: 'test' });

/** An event as a writer would append it, for writing to the store behind the writer's back. */
const asAppended = (event: IncomingEvent): EventToAppend => {
  const { id, type, schemaVersion, occurredAt, data, metadata } = toProposal(event);
  return { id, type, schemaVersion, occurredAt, recordedBy: 'test', data, metadata };
};

/** What the rules read from a book, in a comparable form. */
const bookFacts = (book: Book) =>
  JSON.stringify({
    position: book.position,
    revision: book.revision,
    parties: [...book.parties.keys()].sort(),
    stock: [...book.stock].map(([account, items]) => [account, [...items].sort()]).sort(),
    reversed: [...book.reversed].sort(),
  });

/** A store whose feed can be made to deliver late, or to fail once, on demand. */
interface Feed {
  lagMs: number;
  /** The next subscription fails with this store fault once it has caught up. */
  failNext: StoreFault | undefined;
}

function withFeed(store: FaultyStore): { store: FaultyStore; feed: Feed } {
  const feed: Feed = { lagMs: 0, failNext: undefined };
  const wrapped = Object.create(store) as FaultyStore;
  wrapped.subscribeToAll = (after: number, handlers: SubscribeHandlers) => {
    const failing = feed.failNext;
    feed.failNext = undefined;
    return store.subscribeToAll(after, {
      onEvent: (event) =>
        feed.lagMs > 0
          ? new Promise<void>((resolve) => setTimeout(resolve, feed.lagMs)).then(() => handlers.onEvent(event))
          : handlers.onEvent(event),
      onCaughtUp: (position) => {
        if (failing) setImmediate(() => handlers.onError?.(failing));
        else handlers.onCaughtUp?.(position);
      },
      onError: (error) => handlers.onError?.(error),
    });
  };
  return { store: wrapped, feed };
}

async function setUp(t: Test) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-writer-follow-'));
  const file = path.join(dir, 'ledger.sqlite');
  const real = openSqliteStore({ file });
  const closing: (() => Promise<void>)[] = [];
  t.teardown(async () => {
    for (const close of closing.reverse()) await close();
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** A writer on `store` (the real store unless given), closed with the test. */
  const writer = async (store: EventStore = real, options: WriterOptions = {}, book?: Book) => {
    const w = new LedgerWriter(store, options);
    if (book) w.restore(book);
    closing.push(() => w.close());
    await w.start();
    return w;
  };
  /** A second store object on the same file: its feed does not hear the first one's commits. */
  const otherProcess = () => {
    const other = openSqliteStore({ file });
    closing.push(() => other.close());
    return other;
  };
  return { real, file, writer, otherProcess };
}

async function caughtUp(writer: LedgerWriter, store: EventStore) {
  const head = await store.headPosition();
  for (let i = 0; i < 300 && writer.book.position < head; i++) await new Promise((r) => setTimeout(r, 10));
  return writer.book.position === head;
}

const refusal = async (answer: Promise<unknown>) => {
  const error = await answer.catch((e: unknown) => e);
  if (!(error instanceof RejectionError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error.rejection;
};

t.test('a restored book is taken up as it is: start folds only what came after it', async (t) => {
  const { real, writer } = await setUp(t);
  const first = await writer();
  await submit(first, [...world(), donation('us-inl', 'mss', [line('rifle', 10)])]);
  const saved = structuredClone(first.book);
  await submit(first, [donation('us-inl', 'mss', [line('rifle', 5)])]);
  // A mark only the saved book carries: a replay from the start would not have it.
  saved.stock.get('mss')!.set('apc', 1);
  const restored = await writer(real, {}, saved);
  t.equal(onHand(restored.book, 'mss', 'apc'), 1, 'the restored book was kept, not rebuilt');
  t.equal(onHand(restored.book, 'mss', 'rifle'), 15, 'and what came after it was folded in');
  t.equal(restored.book.position, await real.headPosition());
});

t.test('a writer started on a history with a reversal folds it against its target', async (t) => {
  const { real, writer } = await setUp(t);
  const first = await writer();
  const gift = donation('us-inl', 'mss', [line('rifle', 10)]);
  const undo = reversal(gift.id!);
  const recorded = [...world(), gift, donation('us-inl', 'mss', [line('rifle', 2)]), undo];
  await submit(first, recorded.slice(0, -1));
  await submit(first, [undo]);
  t.same(
    (await real.readStream('ledger')).map((e) => e.id),
    recorded.map((e) => e.id),
    'the ledger’s events are stored in the stream named ledger, which other readers and older files know',
  );
  const fresh = await writer();
  t.equal(onHand(fresh.book, 'mss', 'rifle'), 2, 'the reversed donation no longer counts');
  t.ok(fresh.book.reversed.has(gift.id!));
  t.equal(bookFacts(fresh.book), bookFacts(first.book), 'the same book as the writer that recorded it');
  t.equal(fresh.book.position, await real.headPosition());
});

t.test('another writer’s reversal reaches this writer’s book through the feed', async (t) => {
  const { real, writer } = await setUp(t);
  const mine = await writer();
  const gift = donation('us-inl', 'mss', [line('rifle', 10)]);
  await submit(mine, [...world(), gift]);
  const rival = await writer();
  await submit(rival, [reversal(gift.id!)]);
  t.ok(await caughtUp(mine, real), 'this writer caught up');
  t.equal(onHand(mine.book, 'mss', 'rifle'), 0);
  t.ok(mine.book.reversed.has(gift.id!));
  const refused = await refusal(submit(mine, [reversal(gift.id!)]));
  t.equal(refused.rule, 'reversal-already-reversed', 'a second reversal is refused by this writer too');
});

t.test('a batch may reverse an event it records itself', async (t) => {
  const { real, writer } = await setUp(t);
  const w = await writer();
  await submit(w, world());
  const gift = donation('us-inl', 'mss', [line('rifle', 10)]);
  const result = await submit(w, [gift, reversal(gift.id!)]);
  t.equal(result.events.length, 2, 'both recorded');
  t.equal(onHand(w.book, 'mss', 'rifle'), 0);
  t.ok(w.book.reversed.has(gift.id!));
  const fresh = await writer();
  t.equal(bookFacts(w.book), bookFacts(fresh.book), 'as a replay of the store');
  t.equal(w.book.position, await real.headPosition());
});

t.test('an event of another stream is no reversal target, whatever its content', async (t) => {
  const { real, writer } = await setUp(t);
  const w = await writer();
  await submit(w, [...world(), donation('us-inl', 'mss', [line('rifle', 10)])]);
  // Written beside the ledger, with a ledger event's shape: reversing it would take rifles away.
  const elsewhere = donation('us-inl', 'mss', [line('rifle', 4)]);
  await real.append('not-the-ledger', [asAppended(elsewhere)], 'any');
  const refused = await refusal(submit(w, [reversal(elsewhere.id!)]));
  t.equal(refused.rule, 'reversal-target-unknown');
  t.equal(onHand(w.book, 'mss', 'rifle'), 10);
});

t.test('a feed that lags: the writer waits for it to bring the other writer’s events', async (t) => {
  const { real, writer } = await setUp(t);
  const { store, feed } = withFeed(faulty(real));
  const mine = await writer(store, { feedWaitMs: 3000 });
  await submit(mine, world());
  const rival = await writer();
  feed.lagMs = 100;
  // Two appends of the other writer: the feed brings them one after the other.
  await submit(rival, [donation('us-inl', 'mss', [line('rifle', 3)])]);
  await submit(rival, [donation('us-inl', 'mss', [line('rifle', 5)])]);
  // Reading the store directly would fail: the events must come through the feed.
  store.fail('readStream', new StoreFault('store-unavailable', 'connection refused'));
  const appendsBefore = store.calls.append;
  const result = await submit(mine, [donation('us-inl', 'mss', [line('rifle', 4)])]);
  t.equal(result.replayed, false, 'recorded after the feed caught up');
  t.equal(store.calls.readStream, 0, 'the stream was not read directly');
  t.equal(store.calls.append - appendsBefore, 2, 'decided again once, when the feed had brought both');
  t.equal(onHand(mine.book, 'mss', 'rifle'), 12, 'the book holds all three donations');
});

t.test('a stalled feed on an empty ledger: the writer reads the stream from its very start', async (t) => {
  const { writer, otherProcess } = await setUp(t);
  const mine = await writer(undefined, { feedWaitMs: 50 });
  const rival = await writer(otherProcess());
  // One event only: the ledger is then at revision 0, which an empty book must still catch up to.
  await submit(rival, [party('us-inl', 'donor', 'US INL')]);
  // Decided on the empty book, refused by the store, caught up by reading, decided again.
  const mineRecorded = await submit(mine, [party('unhas', 'donor', 'UNHAS')]);
  t.equal(mineRecorded.events[0]?.streamRevision, 1, 'recorded after the other writer’s event');
  t.ok(mine.book.parties.has('us-inl'), 'the first event of the stream is in the book');
  const again = await refusal(submit(mine, [party('us-inl', 'donor', 'US INL')]));
  t.equal(again.rule, 'party-already-registered', 'and the rules see it');
});

t.test('a stalled feed and a failing read: the group is answered with the read’s fault', async (t) => {
  const { real, writer, otherProcess } = await setUp(t);
  const reports: [string, string][] = [];
  const store = faulty(real);
  const mine = await writer(store, {
    feedWaitMs: 50,
    onFault: (fault, during) => reports.push([fault.fault, during]),
  });
  await submit(mine, world());
  const rival = await writer(otherProcess());
  await submit(rival, [donation('us-inl', 'mss', [line('rifle', 3)])]);
  store.fail('readStream', new StoreFault('store-unavailable', 'connection refused'));
  const gift = donation('us-inl', 'mss', [line('rifle', 4)]);
  const error = await submit(mine, [gift]).catch((e: unknown) => e);
  t.equal(error instanceof StoreFault ? error.fault : String(error), 'store-unavailable');
  t.same(reports, [['store-unavailable', 'catching up after another writer']], 'reported with what it was doing');
  t.equal(mine.fault?.fault, 'store-unavailable', 'remembered for /ready');
  store.heal();
  const again = await submit(mine, [gift]);
  t.equal(again.replayed, false, 'recorded once the store answers');
  t.equal(onHand(mine.book, 'mss', 'rifle'), 7);
});

t.test('a feed that fails for a while is reported, and the writer follows on after it', async (t) => {
  const { real, writer } = await setUp(t);
  const seed = await writer();
  await submit(seed, world());
  const { store, feed } = withFeed(faulty(real));
  const reports: [string, string][] = [];
  let recovered = 0;
  feed.failNext = new StoreFault('store-unavailable', 'connection reset');
  const w = await writer(store, {
    onFault: (fault, during) => reports.push([fault.fault, during]),
    onRecovered: () => recovered++,
  });
  t.same(reports, [['store-unavailable', 'following the store']]);
  t.equal(recovered, 1, 'told when the feed delivers again');
  t.ok(w.book.parties.has('gang-5-segonn'), 'the book holds the history');
  await submit(seed, [donation('us-inl', 'mss', [line('rifle', 3)])]);
  t.ok(await caughtUp(w, real), 'and follows what comes after');
  t.equal(onHand(w.book, 'mss', 'rifle'), 3);
});

t.test('an operator hook that throws does not stop the feed: the writer still follows on', async (t) => {
  const { real, writer } = await setUp(t);
  const seed = await writer();
  await submit(seed, world());
  const { store, feed } = withFeed(faulty(real));
  feed.failNext = new StoreFault('store-unavailable', 'connection reset');
  const w = await writer(store, {
    onFault: () => {
      throw new Error('the log shipper is down');
    },
    onRecovered: () => {
      throw new Error('the log shipper is still down');
    },
  });
  t.ok(w.book.parties.has('gang-5-segonn'), 'the book holds the history');
  await submit(seed, [donation('us-inl', 'mss', [line('rifle', 3)])]);
  t.ok(await caughtUp(w, real), 'and follows what comes after');
  t.equal(onHand(w.book, 'mss', 'rifle'), 3);
});

t.test('a history the book cannot fold stops the writer: start fails and says why', async (t) => {
  const { real } = await setUp(t);
  await real.append(LEDGER_STREAM, [{ ...asAppended(party('x', 'donor')), type: 'NoSuchEvent' }], 'any');
  const w = new LedgerWriter(real);
  const error = await w.start().catch((e: unknown) => e);
  t.ok(error instanceof Error, `start failed: ${String(error)}`);
  t.equal(w.stopped, error, 'stopped names the error');
  await w.close();
});

t.test('an event the book cannot fold arriving through the feed after start stops the writer', async (t) => {
  const { real, writer } = await setUp(t);
  const w = await writer();
  await submit(w, world());
  t.equal(w.stopped, undefined);
  await real.append(LEDGER_STREAM, [{ ...asAppended(party('y', 'donor')), type: 'NoSuchEvent' }], 'any');
  for (let i = 0; i < 300 && w.stopped === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  t.match(w.stopped?.message, /unknown event type NoSuchEvent/, 'stopped names the error');
});

t.test('a store fault while the book catches up fails the start and stops the writer', async (t) => {
  const { real, writer } = await setUp(t);
  await submit(await writer(), world());
  const fault = new StoreFault('store-unavailable', 'the disk went away');
  const broken = Object.create(real) as EventStore;
  broken.readForFold = () => {
    throw fault;
  };
  const w = new LedgerWriter(broken);
  t.equal(await w.start().catch((e: unknown) => e), fault, 'start fails with the fault');
  t.equal(w.stopped, fault, 'stopped names it');
  await w.close();
});

t.test('a first start on a store read in pages (EventStoreDB’s way) folds the history from the pages', async (t) => {
  const { real, writer } = await setUp(t);
  const first = await writer();
  const gifts = [donation('us-inl', 'mss', [line('rifle', 10)]), donation('us-inl', 'mss', [line('apc', 3)])];
  await submit(first, [...world(), ...gifts, donation('us-inl', 'mss', [line('rifle', 2)])]);
  await real.append('not-the-ledger', [asAppended(party('elsewhere', 'ngo'))], 'any');
  await submit(
    first,
    gifts.map((gift) => reversal(gift.id!)),
  );
  const head = await real.headPosition();

  // The embedded store as a store over the network is: no synchronous lean reads, pages instead.
  const reads = { pages: 0, byIds: [] as number[], subscribedAfter: [] as number[] };
  const paged = Object.create(real) as EventStore;
  Object.assign(paged, {
    readForFold: undefined,
    readPageForFold: async (after: number, limit: number) => {
      reads.pages++;
      return real.readForFold!(after, limit);
    },
    readByIds: (ids: string[]) => {
      reads.byIds.push(ids.length);
      return real.readByIds(ids);
    },
    subscribeToAll: (after: number, handlers: SubscribeHandlers) => {
      reads.subscribedAfter.push(after);
      return real.subscribeToAll(after, handlers);
    },
  });
  const fresh = await writer(paged);
  t.equal(bookFacts(fresh.book), bookFacts(first.book), 'the same book as the writer that recorded it');
  t.equal(onHand(fresh.book, 'mss', 'rifle'), 2, 'both reversals folded against their targets');
  t.equal(onHand(fresh.book, 'mss', 'apc'), 0);
  t.equal(fresh.book.position, head, 'folded to the head, events of other streams passed over');
  t.ok(reads.pages >= 1, 'the history was read in pages');
  t.same(reads.byIds, [2], 'the targets of a page’s reversals read together, once');
  t.same(reads.subscribedAfter, [head], 'the feed takes over from the last position read, not from the start');

  await submit(first, [donation('us-inl', 'mss', [line('rifle', 7)])]);
  t.ok(await caughtUp(fresh, real), 'and then follows the feed');
  t.equal(onHand(fresh.book, 'mss', 'rifle'), 9);
});

t.test(
  'a first start in pages: a reversal whose target the read-ahead missed is folded after reading it',
  async (t) => {
    const { real, writer } = await setUp(t);
    const first = await writer();
    const gift = donation('us-inl', 'mss', [line('rifle', 10)]);
    await submit(first, [...world(), gift]);
    await submit(first, [reversal(gift.id!)]);

    // The read ahead of the page answers nothing (a store that answered in part); the fold must not go on without the target.
    const byIds: string[][] = [];
    const paged = Object.create(real) as EventStore;
    Object.assign(paged, {
      readForFold: undefined,
      readPageForFold: async (after: number, limit: number) => real.readForFold!(after, limit),
      readByIds: async (ids: string[]) => {
        byIds.push(ids);
        return byIds.length === 1 ? [] : real.readByIds(ids);
      },
    });
    const fresh = await writer(paged);
    t.equal(bookFacts(fresh.book), bookFacts(first.book), 'the same book as the writer that recorded it');
    t.equal(onHand(fresh.book, 'mss', 'rifle'), 0, 'the reversal folded against its target');
    t.ok(fresh.book.reversed.has(gift.id!));
    t.same(byIds, [[gift.id], [gift.id]], 'the target read again, on its own, when the read-ahead had missed it');
  },
);
