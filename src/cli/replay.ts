/**
 * `npm run replay -- --as-of DATE [--known-at DATE] [--projection NAME] [--format table]`
 *   folds the log and prints one projection as of a date, as known at a date.
 * `npm run rebuild`
 *   folds every projection from the log, from zero, and saves the checkpoint
 *   the service starts from.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { donorsView } from '../../projections/donors.js';
import { inventoryView } from '../../projections/inventory.js';
import { personnelView } from '../../projections/personnel.js';
import { shipmentAt, shipmentIds } from '../../projections/shipments.js';
import { DateOrInstant } from '../../events/envelope.js';
import { endOfInstant } from '../http/routes/projections.js';
import { Projector } from '../read/projector.js';
import { openStore, saveProjectorCheckpoint } from '../service.js';
import type { EventStore } from '../store/port.js';
import { openSqliteStore } from '../store/sqlite.js';
import { findLedger, parseFlags, runCommand, UsageError, type LedgerLocation } from './command.js';

const PROJECTIONS = ['inventory', 'personnel', 'donors', 'shipments'] as const;
type ProjectionName = (typeof PROJECTIONS)[number];

/** A progress bar on a terminal, a line every few seconds elsewhere. */
function progress(head: number) {
  const started = Date.now();
  let last = 0;
  return (position: number, done = false) => {
    const now = Date.now();
    if (!done && now - last < (process.stderr.isTTY ? 100 : 5000)) return;
    last = now;
    const share = head === 0 ? 1 : Math.min(1, position / head);
    const rate = Math.round(position / Math.max(0.001, (now - started) / 1000));
    const bar = '#'.repeat(Math.round(share * 30)).padEnd(30, ' ');
    const text = `[${bar}] ${(share * 100).toFixed(0).padStart(3)}%  position ${position.toLocaleString('en')} of ${head.toLocaleString('en')}  ${rate.toLocaleString('en')} events/s`;
    process.stderr.write(process.stderr.isTTY ? `\r${text}${done ? '\n' : ''}` : `${text}\n`);
  };
}

/** Folds the whole log into a fresh projector, reporting progress. */
export async function foldAll(store: EventStore): Promise<{ projector: Projector; seconds: number }> {
  const head = await store.headPosition();
  const report = progress(head);
  const projector = new Projector(store);
  const started = process.hrtime.bigint();
  const timer = setInterval(() => report(projector.state.position), 100);
  try {
    await projector.start();
  } finally {
    clearInterval(timer);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  report(projector.state.position, true);
  await projector.close();
  return { projector, seconds };
}

export function render(
  projector: Projector,
  name: ProjectionName,
  asOf: number | undefined,
  knownAt: number | undefined,
) {
  const slice = projector.slice(asOf, knownAt);
  const catalog = projector.state.catalog;
  const header = {
    asOf: asOf === undefined ? null : new Date(asOf).toISOString(),
    knownAt: knownAt === undefined ? null : new Date(knownAt).toISOString(),
    position: slice.position,
  };
  switch (name) {
    case 'inventory':
      return { header, view: inventoryView(projector.sum('inventory', slice), catalog) };
    case 'personnel':
      return { header, view: personnelView(projector.sum('personnel', slice)) };
    case 'donors':
      return { header, view: donorsView(projector.sum('donors', slice), catalog) };
    case 'shipments':
      return {
        header,
        view: [...shipmentIds(projector.state.shipmentHistories)].flatMap((id) => {
          const s = shipmentAt(projector.state.shipmentHistories, id, asOf ?? Number.MAX_SAFE_INTEGER, slice.position);
          return s ? [s] : [];
        }),
      };
  }
}

/** Flat rows for `--format table`. */
function rows(name: ProjectionName, view: ReturnType<typeof render>['view']): Record<string, unknown>[] {
  if (name === 'inventory' && 'holders' in view)
    return view.holders.flatMap((h) =>
      h.items.map((i) => ({
        holder: h.holder,
        item: i.itemType,
        category: i.category,
        quantity: i.quantity,
        exact: i.exact,
      })),
    );
  if (name === 'personnel' && 'byCountry' in view)
    return view.byCountry.map((r) => ({ country: r.country, role: r.role, deployed: r.deployed, exact: r.exact }));
  if (name === 'donors' && 'donors' in view)
    return view.donors.flatMap((d) =>
      d.byCategory.map((c) => ({
        donor: d.donor,
        category: c.category,
        pledged: c.measures.pledged.quantity,
        dispatched: c.measures.dispatched.quantity,
        delivered: c.measures.delivered.quantity,
        writtenOff: c.measures.writtenOff.quantity,
      })),
    );
  if (Array.isArray(view))
    return view.map((s) => ({
      shipment: s.shipmentId,
      from: s.from,
      to: s.to,
      status: s.status,
      dispatchedAt: s.dispatchedAt,
    }));
  return [];
}

const USAGE = `Usage:
  npm run replay -- [--as-of DATE] [--known-at DATE] [--projection NAME] [--format json|table]
  npm run rebuild

  replay   folds the log and prints one projection as of a date (default: now), as known at a date
           (default: now). NAME is one of ${PROJECTIONS.join(', ')} (default inventory); DATE is an
           ISO 8601 date (2025-02-10, the end of that day) or instant (2025-02-10T14:00:00Z).
  rebuild  folds every projection from zero and saves the checkpoint the service starts from.

The ledger is found through DATA_DIR (default ./data), or EVENTSTORE_CONNECTION_STRING. Both only read the
log, and work beside a running service. Exit codes: 0 done, 2 bad arguments or no ledger there, 1 failure.
`;

interface ReplayRequest {
  rebuild: boolean;
  projection: ProjectionName;
  format: 'json' | 'table';
  asOf: number | undefined;
  knownAt: number | undefined;
}

const date = (value: string | undefined, flag: string) => {
  if (value === undefined) return undefined;
  if (!DateOrInstant.safeParse(value).success)
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not an ISO 8601 date (2025-02-10) or instant`);
  return endOfInstant(value);
};

/** Every argument checked, before any file is looked at. Undefined for --help. */
export function parseReplayArgs(args: string[]): ReplayRequest | undefined {
  const values = parseFlags(args, {
    'as-of': { type: 'string' },
    'known-at': { type: 'string' },
    projection: { type: 'string' },
    format: { type: 'string' },
    rebuild: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return undefined;
  const projection = values.projection ?? 'inventory';
  if (!(PROJECTIONS as readonly string[]).includes(projection))
    throw new UsageError(`--projection ${JSON.stringify(projection)}: must be one of ${PROJECTIONS.join(', ')}`);
  const format = values.format ?? 'json';
  if (format !== 'json' && format !== 'table')
    throw new UsageError(`--format ${JSON.stringify(format)}: must be json or table`);
  const rebuild = values.rebuild ?? false;
  if (rebuild && (values['as-of'] ?? values['known-at'] ?? values.projection ?? values.format) !== undefined)
    throw new UsageError('--rebuild folds every projection as of now: it takes no other option');
  return {
    rebuild,
    projection: projection as ProjectionName,
    format,
    asOf: date(values['as-of'], '--as-of'),
    knownAt: date(values['known-at'], '--known-at'),
  };
}

/** The store, for reading only: the embedded store's file must exist and is never created or migrated. */
async function openForReading(ledger: LedgerLocation): Promise<EventStore> {
  if (ledger.kind === 'sqlite') return openSqliteStore({ file: ledger.file, readonly: true });
  return openStore({
    DATA_DIR: ledger.dataDir,
    EVENTSTORE_CONNECTION_STRING: process.env.EVENTSTORE_CONNECTION_STRING,
  });
}

async function main() {
  const request = parseReplayArgs(process.argv.slice(2));
  if (!request) {
    process.stdout.write(USAGE);
    return;
  }
  const ledger = findLedger();
  const store = await openForReading(ledger);
  try {
    const { projector, seconds } = await foldAll(store);
    const events = projector.state.position;
    if (request.rebuild) {
      const bytes = await saveProjectorCheckpoint(
        path.join(ledger.dataDir, 'projections.checkpoint'),
        projector,
        store,
      );
      process.stderr.write(
        `rebuilt every projection from ${events.toLocaleString('en')} positions in ${seconds.toFixed(2)} s; checkpoint ${(bytes / 1e6).toFixed(1)} MB\n`,
      );
      return;
    }
    const name = request.projection;
    const { header, view } = render(projector, name, request.asOf, request.knownAt);
    if (request.format === 'table') {
      process.stdout.write(
        `${name} as of ${header.asOf ?? 'now'}, as known at ${header.knownAt ?? 'now'} (position ${header.position})\n`,
      );
      console.table(rows(name, view));
    } else process.stdout.write(`${JSON.stringify({ ...header, [name]: view }, null, 2)}\n`);
  } finally {
    await store.close();
  }
}

// Only as a command: importing this module must never touch a store.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) runCommand(main);
