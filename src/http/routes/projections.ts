/**
 * Projection endpoints for dashboards and auditors. Every one answers "now"
 * by default, or `asOf` a date (what was true then, as we know it now) and/or
 * `knownAt` a date (what the ledger said then), and says which position it reflects.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DateOrInstant, ItemCategory } from '../../../events/index.js';
import { custodyAt } from '../../../projections/custody.js';
import { DONOR_MEASURES, donorsView } from '../../../projections/donors.js';
import { inventoryView } from '../../../projections/inventory.js';
import { personnelView } from '../../../projections/personnel.js';
import { shipmentAt, shipmentIds, type ShipmentView } from '../../../projections/shipments.js';
import { timelineView } from '../../../projections/timeline.js';
import { reject, RejectionError } from '../../ledger/rules.js';
import { LedgerTreeRef } from '../../log/schemas.js';
import type { Bitemporal, Projector } from '../../read/projector.js';
import type { LedgerDeps } from '../deps.js';
import { linkNextPage } from '../paging.js';
import { sendCachedAnswer } from '../plugins/answers.js';
import { Problem } from '../problem.js';

const DAY_MS = 86_400_000;

/** A bare date means the end of that day: "as of 10 February" includes what happened on the 10th. */
export const endOfInstant = (value: string): number =>
  value.length === 10 ? Date.parse(`${value}T00:00:00.000Z`) + DAY_MS - 1 : Date.parse(value);

const sliceFields = {
  asOf: DateOrInstant.optional().describe(
    'what was true at this date or instant, as known now (or as known at `knownAt`); a bare date means the end of that day',
  ),
  knownAt: DateOrInstant.optional().describe(
    'what the ledger said at this date or instant: only events recorded by then, reversals recorded later ignored',
  ),
  minPosition: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('read your writes: wait briefly until the projection reflects this position'),
};

const SliceEcho = {
  asOf: z.string().nullable().describe('the asOf answered, as a UTC instant; null for now'),
  knownAt: z.string().nullable().describe('the knownAt answered, as a UTC instant; null for now'),
  position: z.number().int().describe('the global position of the last event this answer reflects'),
  checkpoint: LedgerTreeRef.optional(),
};

/**
 * The slice a request asks for. It also tells the freshness hooks which
 * position the answer reflects (`request.seenPosition`): the ETag and
 * X-Ledger-Position then state exactly what the body states.
 */
function resolveSlice(
  request: FastifyRequest,
  projector: Projector,
  query: { asOf?: string | undefined; knownAt?: string | undefined },
  now: number,
) {
  const bound = (field: 'asOf' | 'knownAt') => {
    const value = query[field];
    if (value === undefined) return undefined;
    const time = endOfInstant(value);
    // The end of today is allowed: "as of today" means now.
    if (time > now && !(value.length === 10 && time - DAY_MS < now))
      throw new RejectionError(
        reject('query-date-in-future', `${field} ${value} is in the future`, field, {
          [field]: value,
          now: new Date(now).toISOString(),
        }),
      );
    return Math.min(time, now);
  };
  const slice = projector.slice(bound('asOf'), bound('knownAt'));
  request.seenPosition = slice.position;
  return slice;
}

const echoSlice = (slice: Bitemporal) => ({
  asOf: slice.asOf === undefined ? null : new Date(slice.asOf).toISOString(),
  knownAt: slice.knownAtTime === undefined ? null : new Date(slice.knownAtTime).toISOString(),
  position: slice.position,
});

const Category = z.union([ItemCategory, z.literal('unknown')]);

/** How sure a figure is (events/precision.ts); every amount and total carries it. */
const BoundsFields = {
  precision: z
    .enum(['exact', 'at-least', 'approximate', 'mixed'])
    .describe(
      'exact; at-least (a lower bound); approximate (an estimate); mixed: a sum of at-least and approximate figures',
    ),
  lower: z.number().nullable().describe('lower bound of the figure; null when unbounded'),
  upper: z.number().nullable().describe('upper bound of the figure; null when unbounded (every "at least")'),
};
const Bounds = z.object(BoundsFields).meta({ id: 'Bounds' });

const Amount = z.object({
  itemType: z.string(),
  name: z.string(),
  category: Category,
  unit: z.string(),
  quantity: z.number(),
  exact: z.boolean().describe('false when the figure includes an "at least" or approximate quantity: a lower bound'),
  ...BoundsFields,
});

export const InventoryResponse = z
  .object({
    ...SliceEcho,
    holders: z.array(z.object({ holder: z.string(), name: z.string(), kind: z.string(), items: z.array(Amount) })),
    inTransit: z.array(z.object({ shipmentId: z.string(), items: z.array(Amount) })),
    totals: z.array(
      z.object({
        category: Category,
        onHand: z.number(),
        inTransit: z.number(),
        exact: z.boolean(),
        onHandBounds: Bounds.describe("the bounds of `onHand`: the sum of its amounts' bounds"),
        inTransitBounds: Bounds,
      }),
    ),
  })
  .meta({ id: 'Inventory' });

const PledgedFigure = z.object({ quantity: z.number(), ...BoundsFields });

export const PersonnelResponse = z
  .object({
    ...SliceEcho,
    authorisedStrength: z.number().int(),
    deployed: z.number(),
    exact: z.boolean(),
    ...BoundsFields,
    sizeNotReported: z
      .number()
      .int()
      .describe('contingents that joined with no reported size (counted at their lower bound, 1, in `deployed`)'),
    byCountry: z.array(
      z.object({
        country: z.string(),
        role: z.string(),
        deployed: z.number(),
        arrived: z.number(),
        departed: z.number(),
        exact: z.boolean(),
        ...BoundsFields,
        sizeReported: z
          .boolean()
          .describe('false when the contingent joined with no reported size: show "size not reported", not 1'),
        locations: z.array(z.object({ location: z.string(), arrived: z.number() })),
      }),
    ),
    pledges: z.array(
      z.object({
        country: z.string(),
        role: z.string(),
        pledges: z.number().int().describe('PersonnelPledged events in force'),
        pledged: PledgedFigure.nullable().describe('the sizes sources gave; null when none gave one'),
        sizeNotGiven: z.number().int().describe('pledges with no size in any source'),
      }),
    ),
    forceGeneration: z
      .array(
        z.object({
          country: z.string(),
          pledged: PledgedFigure.nullable(),
          pledgesWithoutSize: z.number().int(),
          deployed: z.object({ quantity: z.number(), ...BoundsFields, sizeReported: z.boolean() }),
        }),
      )
      .describe('per contributing country, pledged beside deployed, against the authorised strength'),
  })
  .meta({ id: 'Personnel' });

const ShipmentSchema = z
  .object({
    shipmentId: z.string(),
    from: z.string(),
    to: z.string(),
    status: z.enum(['dispatched', 'partially-received', 'received', 'closed']),
    carrier: z.string().optional(),
    origin: z.string().optional(),
    destination: z.string().optional(),
    dispatchedAt: z.string(),
    lastReceivedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    leadTimeDays: z.number().nullable(),
    writeOffReason: z.string().nullable(),
    lines: z.array(
      z.object({
        itemType: z.string(),
        dispatched: z.number(),
        received: z.number(),
        short: z.number(),
        writtenOff: z.number(),
        exact: z.boolean(),
        dispatchedBounds: Bounds,
        receivedBounds: Bounds,
      }),
    ),
    events: z.array(z.object({ eventId: z.string(), type: z.string(), occurredAt: z.string(), position: z.number() })),
  })
  .meta({ id: 'Shipment' });

const Measure = z.object({ quantity: z.number(), exact: z.boolean(), ...BoundsFields });
const DonorsResponse = z
  .object({
    ...SliceEcho,
    donors: z.array(
      z.object({
        donor: z.string(),
        name: z.string(),
        byCategory: z.array(
          z.object({
            category: z.string(),
            measures: z.object(
              Object.fromEntries(DONOR_MEASURES.map((m) => [m, Measure])) as Record<
                (typeof DONOR_MEASURES)[number],
                typeof Measure
              >,
            ),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'Donors' });

const CustodyResponse = z
  .object({
    ...SliceEcho,
    serial: z.string(),
    itemType: z.string(),
    assigned: z
      .boolean()
      .describe('true when the ledger assigned this serial because the real one is missing or illegible'),
    holder: z.string().nullable(),
    chain: z.array(
      z.object({
        holder: z.string(),
        from: z.string(),
        until: z.string().nullable(),
        eventId: z.string(),
        eventType: z.string(),
        position: z.number().int(),
        receivedFrom: z.string(),
      }),
    ),
  })
  .meta({ id: 'Custody' });

const TimelineResponse = z
  .object({
    ...SliceEcho,
    from: z.string(),
    to: z.string(),
    interval: z.enum(['day', 'week', 'month']),
    series: z.array(
      z.object({
        holder: z.string().describe('a holder, or `all` for every holder inside the books'),
        category: z.string(),
        points: z.array(z.object({ date: z.string(), quantity: z.number(), exact: z.boolean(), ...BoundsFields })),
      }),
    ),
  })
  .meta({ id: 'Timeline' });

const MAX_TIMELINE_POINTS = 1000;

/** Shipment views with their events' ids, read back by position. */
async function withEventIds(store: LedgerDeps['store'], shipments: ShipmentView[]) {
  const events = await eventsAt(
    store,
    shipments.flatMap((s) => s.events.map((e) => e.position)),
  );
  return shipments.map((s) => ({
    ...s,
    events: s.events.map((e) => ({ ...e, eventId: events.get(e.position)?.id ?? '' })),
  }));
}

/** Events at these positions, read one by one: a custody chain or a page of shipments is short. */
async function eventsAt(store: LedgerDeps['store'], positions: number[]) {
  const found = new Map<number, { id: string; type: string }>();
  for (const position of new Set(positions)) {
    const [event] = await store.readAll({ after: position - 1, limit: 1 });
    if (event && event.globalPosition === position) found.set(position, { id: event.id, type: event.type });
  }
  return found;
}
const projection = { projection: true } as const;

/**
 * Query parameters a route does not take although a client may well send them (an old name,
 * a neighbour's parameter): refused, before validation, with a problem naming the one to use.
 */
const refuseParameters =
  (refused: Record<string, { use: string; detail: string }>) => async (request: FastifyRequest) => {
    const query = request.query as Record<string, unknown>;
    for (const [name, { use, detail }] of Object.entries(refused))
      if (name in query) throw new RejectionError(reject('schema-invalid', detail, name, { use }));
  };

export const projectionRoutes: FastifyPluginAsync<LedgerDeps> = async (app, deps) => {
  // Every answer names the tree of the log it reflects (src/log).
  const echo = (slice: Bitemporal) => ({
    ...echoSlice(slice),
    ...(deps.log ? { checkpoint: deps.log.stateAt(slice.position) } : {}),
  });
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const { projector } = deps;
  // Kept per (position, url) and sent again as they went out (src/http/plugins/answers.ts).
  const answers = app.answers;
  const clock = Date.now;

  typed.get(
    '/inventory',
    {
      config: projection,
      schema: {
        summary: 'On hand by holder and item type, in transit by shipment, totals by category',
        tags: ['projections'],
        querystring: z
          .object({
            ...sliceFields,
            holder: z
              .string()
              .optional()
              .describe(
                "only this holder's stock in `holders` and in the totals' onHand; shipments in transit (and the totals' inTransit) stay ledger-wide, as a shipment has no holder until it is received",
              ),
          })
          .strict(),
        response: { 200: InventoryResponse, 400: Problem },
      },
    },
    async (request, reply) => {
      const slice = resolveSlice(request, projector, request.query, clock());
      return sendCachedAnswer(request, reply, answers, projector.state.position, () => ({
        ...echo(slice),
        ...inventoryView(projector.sum('inventory', slice), projector.state.catalog, request.query),
      }));
    },
  );

  typed.get(
    '/personnel',
    {
      config: projection,
      schema: {
        summary: 'Personnel deployed by contributing country and role, against the authorised strength',
        tags: ['projections'],
        querystring: z.object(sliceFields).strict(),
        response: { 200: PersonnelResponse, 400: Problem },
      },
    },
    async (request, reply) => {
      const slice = resolveSlice(request, projector, request.query, clock());
      return sendCachedAnswer(request, reply, answers, projector.state.position, () => ({
        ...echo(slice),
        ...personnelView(projector.sum('personnel', slice)),
      }));
    },
  );

  typed.get(
    '/donors',
    {
      config: projection,
      schema: {
        summary: 'What each donor pledged, dispatched, delivered and lost in transit, by category',
        tags: ['projections'],
        querystring: z.object(sliceFields).strict(),
        response: { 200: DonorsResponse, 400: Problem },
      },
    },
    async (request, reply) => {
      const slice = resolveSlice(request, projector, request.query, clock());
      return sendCachedAnswer(request, reply, answers, projector.state.position, () => ({
        ...echo(slice),
        ...donorsView(projector.sum('donors', slice), projector.state.catalog),
      }));
    },
  );

  typed.get(
    '/shipments',
    {
      config: projection,
      preValidation: refuseParameters({
        before: { use: 'after', detail: "before was renamed after: pass the previous page's next as after" },
      }),
      schema: {
        summary: 'Shipments, newest first, with status, lines and lead times',
        description:
          'Pages with `after`/`next`, like every list; while there is a next page, `Link: <…>; rel="next"` names it. `before`, the old name of the cursor, is refused with a problem naming `after`.',
        tags: ['projections'],
        querystring: z
          .object({
            ...sliceFields,
            status: z.enum(['dispatched', 'partially-received', 'received', 'closed', 'in-transit']).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
            after: z.coerce.number().int().min(0).optional().describe('cursor: `next` from the previous page'),
          })
          .strict(),
        response: {
          200: z.object({ ...SliceEcho, shipments: z.array(ShipmentSchema), next: z.number().int().nullable() }),
          400: Problem,
        },
      },
    },
    async (request, reply) => {
      const { status, limit, after } = request.query;
      const slice = resolveSlice(request, projector, request.query, clock());
      const histories = projector.state.shipmentHistories;
      const ids = [...shipmentIds(histories)];
      const shipments: ShipmentView[] = [];
      let index = Math.min(after ?? ids.length, ids.length) - 1;
      for (; index >= 0 && shipments.length < limit; index--) {
        const view = shipmentAt(histories, ids[index]!, slice.asOf ?? Number.MAX_SAFE_INTEGER, slice.position);
        if (!view) continue;
        const inTransit = view.status === 'dispatched' || view.status === 'partially-received';
        if (status === undefined || view.status === status || (status === 'in-transit' && inTransit))
          shipments.push(view);
      }
      const next = index >= 0 ? index + 1 : null;
      linkNextPage(request, reply, next);
      return { ...echo(slice), shipments: await withEventIds(deps.store, shipments), next };
    },
  );

  typed.get(
    '/shipments/:shipmentId',
    {
      config: projection,
      schema: {
        summary: 'One shipment: status, lines dispatched / received / short, write-offs, its events',
        tags: ['projections'],
        params: z.object({ shipmentId: z.string().min(1).max(80) }),
        querystring: z.object(sliceFields).strict(),
        response: { 200: z.object({ ...SliceEcho, shipment: ShipmentSchema }), 400: Problem, 404: Problem },
      },
    },
    async (request) => {
      const slice = resolveSlice(request, projector, request.query, clock());
      const shipment = shipmentAt(
        projector.state.shipmentHistories,
        request.params.shipmentId,
        slice.asOf ?? Number.MAX_SAFE_INTEGER,
        slice.position,
      );
      if (!shipment)
        throw new RejectionError(
          reject('not-found', `no shipment ${request.params.shipmentId} was dispatched by then`, 'shipmentId'),
        );
      const [withIds] = await withEventIds(deps.store, [shipment]);
      return { ...echo(slice), shipment: withIds! };
    },
  );

  typed.get(
    '/items/:serial',
    {
      config: projection,
      schema: {
        summary: 'Chain of custody of one serial-numbered item: every holder, from when to when, by which event',
        tags: ['projections'],
        params: z.object({ serial: z.string().min(1).max(64) }),
        querystring: z.object(sliceFields).strict(),
        response: { 200: CustodyResponse, 400: Problem, 404: Problem },
      },
    },
    async (request) => {
      const slice = resolveSlice(request, projector, request.query, clock());
      const custody = custodyAt(
        projector.state.custody,
        request.params.serial,
        slice.asOf ?? Number.MAX_SAFE_INTEGER,
        slice.position,
      );
      if (!custody)
        throw new RejectionError(reject('not-found', `no item with serial ${request.params.serial} by then`, 'serial'));
      // The chain keeps positions; the events' ids and types are read back from the log.
      const events = await eventsAt(
        deps.store,
        custody.chain.map((c) => c.position),
      );
      return {
        ...echo(slice),
        ...custody,
        chain: custody.chain.map(({ position, ...link }) => ({
          ...link,
          position,
          eventId: events.get(position)?.id ?? '',
          eventType: events.get(position)?.type ?? '',
        })),
      };
    },
  );

  typed.get(
    '/timeline',
    {
      config: projection,
      // Each point of a timeline is already "as of" its own day; `to` names the last one.
      preValidation: refuseParameters({
        asOf: {
          use: 'to',
          detail: 'the timeline takes no asOf: each point is as of its own day; to sets the last day (asOf=T is to=T)',
        },
      }),
      schema: {
        summary: 'Stock by category and holder at the end of each day, week or month, for charts',
        tags: ['projections'],
        querystring: z
          .object({
            from: DateOrInstant.optional().describe('first day; default 90 days before `to`'),
            to: DateOrInstant.optional().describe('last day (the asOf of the last point); default now'),
            interval: z.enum(['day', 'week', 'month']).default('day'),
            holder: z.string().optional(),
            category: ItemCategory.optional(),
            knownAt: sliceFields.knownAt,
            minPosition: sliceFields.minPosition,
          })
          .strict(),
        response: { 200: TimelineResponse, 400: Problem },
      },
    },
    async (request) => {
      const { interval, holder, category } = request.query;
      const now = clock();
      const slice = resolveSlice(request, projector, { asOf: request.query.to, knownAt: request.query.knownAt }, now);
      const to = slice.asOf ?? now;
      const from = request.query.from ? Date.parse(request.query.from.slice(0, 10)) : to - 90 * DAY_MS;
      const step = interval === 'day' ? DAY_MS : interval === 'week' ? 7 * DAY_MS : 28 * DAY_MS;
      if (from > to || (to - from) / step > MAX_TIMELINE_POINTS)
        throw new RejectionError(
          reject(
            'schema-invalid',
            from > to
              ? 'from must not be after to'
              : `at most ${MAX_TIMELINE_POINTS} points: use a shorter range or a longer interval`,
            'from',
          ),
        );
      const view = timelineView(projector.indexes.inventory, projector.state.catalog, {
        from,
        to,
        interval,
        knownAt: slice.position,
        knownAtTime: slice.knownAtTime ?? Number.MAX_SAFE_INTEGER,
        holder,
        category,
      });
      return {
        ...echo(slice),
        asOf: new Date(to).toISOString(),
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        ...view,
      };
    },
  );
};
