/**
 * Store faults: what goes wrong around the ledger rather than in it. Each has
 * a stable name (its problem type is `urn:mss-ledger:fault:<name>`), the HTTP
 * status a client is answered with, and how long it should wait before
 * retrying. Adapters throw these; the writer, /ready and the error handler
 * read them; nothing else needs to know which engine failed or how.
 */
export const FAULTS = {
  /** The store does not answer, or not in time: nothing was written. */
  'store-unavailable': { status: 503, retryAfterSeconds: 5, title: 'The event store is unavailable' },
  /** The disk is full: nothing was written; reads still work. */
  'store-full': { status: 507, retryAfterSeconds: 60, title: 'The event store has no room left' },
  /** The store can be read but not written (read-only file or mount, restored backup). */
  'store-read-only': { status: 503, retryAfterSeconds: 300, title: 'The event store is read-only' },
  /** The store no longer matches the log's signed checkpoints (tampering, or an unsigned tail an operator must accept): nothing is recorded. */
  'log-not-verified': {
    status: 503,
    retryAfterSeconds: 60,
    title: 'The ledger is not verified against its signed log',
  },
  /** The append was sent but its answer was lost: it may or may not be stored. */
  'append-outcome-unknown': {
    status: 503,
    retryAfterSeconds: 1,
    title: 'The outcome of the append is unknown',
  },
} as const satisfies Record<string, { status: number; retryAfterSeconds: number; title: string }>;

export type FaultName = keyof typeof FAULTS;

export class StoreFault extends Error {
  override readonly name = 'StoreFault';
  constructor(
    readonly fault: FaultName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get status(): number {
    return FAULTS[this.fault].status;
  }
  get retryAfterSeconds(): number {
    return FAULTS[this.fault].retryAfterSeconds;
  }
}

export const isStoreFault = (error: unknown): error is StoreFault => error instanceof StoreFault;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** SQLite's result codes that are not the ledger's business but the machine's. */
export function sqliteFault(error: unknown): StoreFault | undefined {
  if (error instanceof StoreFault) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  const cause = { cause: error };
  if (code === 'SQLITE_FULL' || (code.startsWith('SQLITE_IOERR') && /full|space/i.test(messageOf(error))))
    return new StoreFault('store-full', `the disk holding the store is full: ${messageOf(error)}`, cause);
  if (code.startsWith('SQLITE_READONLY'))
    return new StoreFault('store-read-only', `the store cannot be written: ${messageOf(error)}`, cause);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return new StoreFault('store-unavailable', `the store is locked by another connection: ${messageOf(error)}`, cause);
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PROTOCOL')
    return new StoreFault(
      'store-unavailable',
      `the store's file cannot be read or written: ${messageOf(error)}`,
      cause,
    );
  return undefined;
}

/**
 * A promise that settles within `ms`, or rejects with `onTimeout()`. The work
 * itself goes on (a store call cannot be taken back); only the wait is bounded.
 */
export function within<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
