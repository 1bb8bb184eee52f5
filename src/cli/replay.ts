/**
 * `npm run replay -- --as-of DATE [--known-at DATE] [--projection NAME] [--format json|table|csv]`
 *   folds the log and prints one projection (inventory, personnel, donors, shipments, a serial's
 *   custody, the timeline) as of a date, as known at a date.
 * `npm run rebuild`
 *   folds every projection from the log, from zero, and saves the checkpoint
 *   the service starts from.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'csv-stringify/sync';
import { custodyAt, type CustodyView } from '../../projections/custody.js';
import { DONOR_MEASURES, donorsView } from '../../projections/donors.js';
import { inventoryView } from '../../projections/inventory.js';
import { personnelView } from '../../projections/personnel.js';
import { shipmentAt, shipmentIds, type ShipmentView } from '../../projections/shipments.js';
import { timelineView, type Interval, type TimelineView } from '../../projections/timeline.js';
import { ItemCategory } from '../../events/values.js';
import { Projector } from '../read/projector.js';
import { openStore, saveProjectorCheckpoint } from '../service.js';
import type { EventStore } from '../store/port.js';
import { openSqliteStore } from '../store/sqlite.js';
import { dateFlag, findLedger, parseFlags, runCommand, UsageError, type LedgerLocation } from './command.js';

const PROJECTIONS = ['inventory', 'personnel', 'donors', 'shipments', 'custody', 'timeline'] as const;
type ProjectionName = (typeof PROJECTIONS)[number];
const FORMATS = ['json', 'table', 'csv'] as const;
type Format = (typeof FORMATS)[number];
const INTERVALS = ['day', 'week', 'month'] as const;
const DAY_MS = 86_400_000;
/** As GET /v1/timeline: a chart of more points than this is a mistake, not a request. */
const MAX_TIMELINE_POINTS = 1000;

/** What a projection needs besides asOf and knownAt: the serial of an item, the timeline's range. */
export interface ViewOptions {
  serial?: string | undefined;
  timeline?: {
    from: number | undefined;
    to: number | undefined;
    interval: Interval;
    holder?: string;
    category?: string;
  };
}

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
  options: ViewOptions = {},
) {
  // The timeline's last day is its asOf, as in GET /v1/timeline.
  const timeline = name === 'timeline' ? timelineRange(options.timeline) : undefined;
  const slice = projector.slice(timeline?.to ?? asOf, knownAt);
  const catalog = projector.state.catalog;
  const header = {
    asOf: slice.asOf === undefined ? null : new Date(slice.asOf).toISOString(),
    knownAt: knownAt === undefined ? null : new Date(knownAt).toISOString(),
    position: slice.position,
  };
  const businessTime = slice.asOf ?? Number.MAX_SAFE_INTEGER;
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
          const s = shipmentAt(projector.state.shipmentHistories, id, businessTime, slice.position);
          return s ? [s] : [];
        }),
      };
    case 'custody':
      return {
        header,
        view: custodyAt(projector.state.custody, options.serial ?? '', businessTime, slice.position) ?? null,
      };
    case 'timeline': {
      const { from, to, interval, holder, category } = timeline!;
      return {
        header,
        view: {
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          ...timelineView(projector.indexes.inventory, catalog, {
            from,
            to,
            interval,
            knownAt: slice.position,
            knownAtTime: slice.knownAtTime ?? Number.MAX_SAFE_INTEGER,
            holder,
            category,
          }),
        },
      };
    }
  }
}

/** The timeline's days, with GET /v1/timeline's defaults: up to now, from 90 days before. */
function timelineRange(options: ViewOptions['timeline']) {
  const to = options?.to ?? Date.now();
  const from = options?.from ?? to - 90 * DAY_MS;
  return { ...options, interval: options?.interval ?? 'day', from, to };
}

/** The columns of `--format table` and `--format csv`, per projection: one row per figure. */
const COLUMNS: Record<ProjectionName, string[]> = {
  inventory: ['holder', 'itemType', 'category', 'quantity', 'exact', 'precision', 'lower', 'upper'],
  personnel: [
    'country',
    'role',
    'deployed',
    'arrived',
    'departed',
    'exact',
    'sizeReported',
    'precision',
    'lower',
    'upper',
  ],
  donors: ['donor', 'category', 'pledged', 'dispatched', 'delivered', 'writtenOff', 'exact'],
  shipments: [
    'shipmentId',
    'from',
    'to',
    'status',
    'dispatchedAt',
    'lastReceivedAt',
    'itemType',
    'dispatched',
    'received',
    'short',
    'writtenOff',
  ],
  custody: ['serial', 'itemType', 'holder', 'receivedFrom', 'from', 'until', 'position'],
  timeline: ['holder', 'category', 'date', 'quantity', 'exact', 'precision', 'lower', 'upper'],
};

type Row = Record<string, string | number | boolean | null>;
type Rendered = ReturnType<typeof render>;
const bounds = (b: { precision: string; lower: number | null; upper: number | null }) => ({
  precision: b.precision,
  lower: b.lower,
  upper: b.upper,
});

/** The view as flat rows under COLUMNS[name]. */
export function rows(name: ProjectionName, view: Rendered['view']): Row[] {
  switch (name) {
    case 'inventory':
      return (view as ReturnType<typeof inventoryView>).holders.flatMap((h) =>
        h.items.map((i) => ({
          holder: h.holder,
          itemType: i.itemType,
          category: i.category,
          quantity: i.quantity,
          exact: i.exact,
          ...bounds(i),
        })),
      );
    case 'personnel':
      return (view as ReturnType<typeof personnelView>).byCountry.map((r) => ({
        country: r.country,
        role: r.role,
        deployed: r.deployed,
        arrived: r.arrived,
        departed: r.departed,
        exact: r.exact,
        sizeReported: r.sizeReported,
        ...bounds(r),
      }));
    case 'donors':
      return (view as ReturnType<typeof donorsView>).donors.flatMap((d) =>
        d.byCategory.map((c) => ({
          donor: d.donor,
          category: c.category,
          pledged: c.measures.pledged.quantity,
          dispatched: c.measures.dispatched.quantity,
          delivered: c.measures.delivered.quantity,
          writtenOff: c.measures.writtenOff.quantity,
          exact: DONOR_MEASURES.every((m) => c.measures[m].exact),
        })),
      );
    case 'shipments':
      return (view as ShipmentView[]).flatMap((s) =>
        s.lines.map((l) => ({
          shipmentId: s.shipmentId,
          from: s.from,
          to: s.to,
          status: s.status,
          dispatchedAt: s.dispatchedAt,
          lastReceivedAt: s.lastReceivedAt,
          itemType: l.itemType,
          dispatched: l.dispatched,
          received: l.received,
          short: l.short,
          writtenOff: l.writtenOff,
        })),
      );
    case 'custody': {
      const custody = view as CustodyView | null;
      return (custody?.chain ?? []).map((link) => ({
        serial: custody!.serial,
        itemType: custody!.itemType,
        holder: link.holder,
        receivedFrom: link.receivedFrom,
        from: link.from,
        until: link.until,
        position: link.position,
      }));
    }
    case 'timeline':
      return (view as { series: TimelineView['series'] }).series.flatMap((series) =>
        series.points.map((p) => ({
          holder: series.holder,
          category: series.category,
          date: p.date,
          quantity: p.quantity,
          exact: p.exact,
          ...bounds(p),
        })),
      );
  }
}

/** The view in the format asked: JSON as it is; a table or CSV (csv-stringify, as the CSV export) of its rows. */
export function format(name: ProjectionName, as: Format, { header, view }: Rendered): string {
  if (as === 'json') return `${JSON.stringify({ ...header, [name]: view }, null, 2)}\n`;
  const columns = COLUMNS[name];
  const flat = rows(name, view);
  if (as === 'csv') return stringify(flat, { header: true, columns, cast: { boolean: (b) => String(b) } });
  const title = `${name} as of ${header.asOf ?? 'now'}, as known at ${header.knownAt ?? 'now'} (position ${header.position})`;
  return `${title}\n${table(columns, flat)}`;
}

/** A plain text table: one line per row, columns padded, numbers to the right. */
function table(columns: string[], flat: Row[]): string {
  const cell = (value: Row[string] | undefined) => (value === null || value === undefined ? '' : String(value));
  const widths = columns.map((c) => Math.max(c.length, ...flat.map((r) => cell(r[c]).length)));
  const line = (cells: string[], numeric: boolean[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const numeric = columns.map((c) => flat.length > 0 && flat.every((r) => typeof r[c] === 'number' || r[c] === null));
  return [
    line(columns, numeric),
    line(
      widths.map((w) => '-'.repeat(w)),
      numeric,
    ),
    ...flat.map((r) =>
      line(
        columns.map((c) => cell(r[c])),
        numeric,
      ),
    ),
    flat.length === 0 ? '(no rows)' : '',
  ]
    .filter((l, i, all) => l !== '' || i < all.length - 1)
    .join('\n')
    .concat('\n');
}

const USAGE = `Usage:
  npm run replay -- [--projection NAME] [--as-of DATE] [--known-at DATE] [--format json|table|csv]
  npm run replay -- --projection custody --serial SERIAL [--as-of DATE] [--known-at DATE] [--format …]
  npm run replay -- --projection timeline [--from DATE] [--to DATE] [--interval day|week|month]
                    [--holder PARTY] [--category CATEGORY] [--known-at DATE] [--format …]
  npm run rebuild

  replay   folds the log and prints one projection as of a date (default: now), as known at a date
           (default: now). NAME is one of ${PROJECTIONS.join(', ')} (default inventory).
           DATE is an ISO 8601 date (2025-02-10, the end of that day) or instant (2025-02-10T14:00:00Z).
           --as-of is business time: what had happened by then, as the ledger knows it now.
           --known-at is recording time: only what had been recorded by then. Everything seeded is
           recorded when the service first starts, so a --known-at before that shows an empty ledger.
           custody: one serial-numbered item's chain of holders. timeline: stock by holder and category
           at the end of each day, week or month from --from (default 90 days before --to) to --to
           (default now): every point is as of its own day, so it takes --to, not --as-of.
           --format json (default) prints the answer as GET /v1/… would; table and csv print one row per
           figure (csv: RFC 4180, with a header line).
  rebuild  folds every projection from zero and saves the checkpoint the service starts from.

The ledger is found through DATA_DIR (default ./data), or EVENTSTORE_CONNECTION_STRING. Both only read the
log, and work beside a running service. Every argument is checked before anything is read.
Exit codes: 0 done, 2 bad arguments or no ledger there, 1 failure.
`;

export interface ReplayRequest {
  rebuild: boolean;
  projection: ProjectionName;
  format: Format;
  asOf: number | undefined;
  knownAt: number | undefined;
  options: ViewOptions;
}

const date = dateFlag;

const oneOf = <T extends string>(value: string, flag: string, allowed: readonly T[]): T => {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`${flag} ${JSON.stringify(value)}: must be one of ${allowed.join(', ')}`);
  return value as T;
};

/** Flags that belong to one projection only: given with another, they are a mistake, not ignored. */
const ONLY_FOR: Record<string, ProjectionName> = {
  serial: 'custody',
  from: 'timeline',
  to: 'timeline',
  interval: 'timeline',
  holder: 'timeline',
  category: 'timeline',
};

/** Every argument checked, before any file is looked at. Undefined for --help. */
export function parseReplayArgs(args: string[]): ReplayRequest | undefined {
  const values = parseFlags(args, {
    'as-of': { type: 'string' },
    'known-at': { type: 'string' },
    projection: { type: 'string' },
    format: { type: 'string' },
    serial: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    interval: { type: 'string' },
    holder: { type: 'string' },
    category: { type: 'string' },
    rebuild: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return undefined;
  const rebuild = values.rebuild ?? false;
  const given = Object.keys(values).filter((flag) => flag !== 'rebuild');
  if (rebuild && given.length > 0)
    throw new UsageError('--rebuild folds every projection as of now: it takes no other option');
  const projection = oneOf(values.projection ?? 'inventory', '--projection', PROJECTIONS);
  const format = oneOf(values.format ?? 'json', '--format', FORMATS);
  for (const flag of given)
    if (ONLY_FOR[flag] !== undefined && ONLY_FOR[flag] !== projection)
      throw new UsageError(`--${flag} is for --projection ${ONLY_FOR[flag]} only`);
  if (projection === 'custody' && !values.serial)
    throw new UsageError('--projection custody needs --serial SERIAL: the item whose chain of custody to show');
  if (projection === 'timeline' && values['as-of'] !== undefined)
    throw new UsageError(
      '--projection timeline takes no --as-of: every point is as of its own day; --to sets the last day',
    );
  const options: ViewOptions = {};
  if (values.serial !== undefined) options.serial = values.serial;
  if (projection === 'timeline') {
    const to = date(values.to, '--to');
    const from = date(values.from, '--from') === undefined ? undefined : Date.parse(values.from!.slice(0, 10));
    const interval = oneOf(values.interval ?? 'day', '--interval', INTERVALS);
    const last = to ?? Date.now();
    const first = from ?? last - 90 * DAY_MS;
    const step = interval === 'day' ? DAY_MS : interval === 'week' ? 7 * DAY_MS : 28 * DAY_MS;
    if (first > last) throw new UsageError('--from must not be after --to');
    if ((last - first) / step > MAX_TIMELINE_POINTS)
      throw new UsageError(`at most ${MAX_TIMELINE_POINTS} points: a shorter range or a longer --interval`);
    options.timeline = {
      from,
      to,
      interval,
      ...(values.holder === undefined ? {} : { holder: values.holder }),
      ...(values.category === undefined
        ? {}
        : { category: oneOf(values.category, '--category', ItemCategory.options) }),
    };
  }
  return {
    rebuild,
    projection,
    format,
    asOf: date(values['as-of'], '--as-of'),
    knownAt: date(values['known-at'], '--known-at'),
    options,
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

/**
 * Why an answer is empty, when it is empty because of --known-at: recording time is not business
 * time, and everything seeded was recorded when the service first started.
 */
async function emptyBecauseOfKnownAt(store: EventStore, request: ReplayRequest, position: number) {
  if (request.knownAt === undefined || position > 0) return undefined;
  const [first] = await store.readAll({ after: 0, limit: 1 });
  if (!first) return undefined;
  return `nothing had been recorded by --known-at ${new Date(request.knownAt).toISOString()}: the first event was recorded at ${first.recordedAt} (the seeded history is recorded when the service first starts). --known-at is recording time; for what had happened by a date, use --as-of.`;
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
    const rendered = render(projector, name, request.asOf, request.knownAt, request.options);
    const why = await emptyBecauseOfKnownAt(store, request, rendered.header.position);
    if (why) process.stderr.write(`${why}\n`);
    if (name === 'custody' && rendered.view === null)
      process.stderr.write(`no item with serial ${request.options.serial} had been recorded by then\n`);
    process.stdout.write(format(name, request.format, rendered));
  } finally {
    await store.close();
  }
}

// Only as a command: importing this module must never touch a store.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) runCommand(main);
