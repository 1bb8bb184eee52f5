/**
 * A store that fails on demand: wraps a real store and, per operation, fails
 * calls with a given error or holds them until released, as a full disk, a
 * lost server or a hung connection would. Everything else is the real store.
 *
 *   const store = faulty(openSqliteStore({ file }));
 *   store.fail('append', new StoreFault('store-full', 'no room'));
 *   store.hold('readByIds');   // calls wait until store.release('readByIds')
 *   store.heal();              // back to normal, held calls go on
 */
import type { EventStore } from '../../src/store/port.js';

type Operation = 'append' | 'readByIds' | 'readStream' | 'readAll' | 'headPosition' | 'streamRevision';
const OPERATIONS: Operation[] = ['append', 'readByIds', 'readStream', 'readAll', 'headPosition', 'streamRevision'];

export interface FaultyStore extends EventStore {
  fail(operation: Operation, error: Error): void;
  hold(operation: Operation): void;
  release(operation: Operation): void;
  heal(): void;
  /** Calls made to each operation, failed or not. */
  calls: Record<Operation, number>;
}

export function faulty(store: EventStore): FaultyStore {
  const failing = new Map<Operation, Error>();
  const holding = new Map<Operation, (() => void)[]>();
  const calls = Object.fromEntries(OPERATIONS.map((o) => [o, 0])) as Record<Operation, number>;

  const guard =
    <A extends unknown[], R>(operation: Operation, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      calls[operation]++;
      const waiting = holding.get(operation);
      if (waiting) await new Promise<void>((resolve) => waiting.push(resolve));
      const error = failing.get(operation);
      if (error) throw error;
      return call(...args);
    };

  const wrapped: FaultyStore = Object.create(store) as FaultyStore;
  Object.assign(wrapped, {
    append: guard('append', store.append.bind(store)),
    readByIds: guard('readByIds', store.readByIds.bind(store)),
    readStream: guard('readStream', store.readStream.bind(store)),
    readAll: guard('readAll', store.readAll.bind(store)),
    headPosition: guard('headPosition', store.headPosition.bind(store)),
    streamRevision: guard('streamRevision', store.streamRevision.bind(store)),
    subscribeToAll: store.subscribeToAll.bind(store),
    integrityProblems: store.integrityProblems.bind(store),
    close: store.close.bind(store),
    calls,
    fail(operation: Operation, error: Error) {
      failing.set(operation, error);
    },
    hold(operation: Operation) {
      if (!holding.has(operation)) holding.set(operation, []);
    },
    release(operation: Operation) {
      const waiting = holding.get(operation) ?? [];
      holding.delete(operation);
      for (const go of waiting) go();
    },
    heal() {
      failing.clear();
      for (const operation of [...holding.keys()]) wrapped.release(operation);
    },
  });
  if (store.readForFold) wrapped.readForFold = store.readForFold.bind(store);
  return wrapped;
}
