/** What the HTTP layer is given to work with: the store, the writer, the projections and the log. */
import type { LedgerWriter } from '../ledger/writer.js';
import type { LedgerLog } from '../log/ledger-log.js';
import type { Projector } from '../read/projector.js';
import type { EventStore } from '../store/port.js';

export interface LedgerDeps {
  store: EventStore;
  writer: LedgerWriter;
  projector: Projector;
  /** What keeps the ledger from taking writes right now (a read-only store, a full disk…), for /ready. */
  health?: () => Promise<string[]>;
  /** Why the store refuses every write, when it was opened read-only. */
  readOnly?: string;
  /** The verifiable log; without one the /v1/log routes are absent. */
  log?: LedgerLog | undefined;
}
