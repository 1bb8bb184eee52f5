/**
 * Projection endpoints for dashboards and auditors. They read state the
 * projector already folded; every answer says which position it reflects.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ItemCategory } from '../../../events/index.js';
import { inventoryView } from '../../../projections/inventory.js';
import { personnelView } from '../../../projections/personnel.js';
import type { LedgerDeps } from '../app.js';
import { Problem } from '../problem.js';

const Amount = z.object({
  itemType: z.string(),
  name: z.string(),
  category: z.union([ItemCategory, z.literal('unknown')]),
  unit: z.string(),
  quantity: z.number(),
  exact: z.boolean().describe('false when the figure includes an "at least" or approximate quantity: a lower bound'),
});

const Position = z.number().int().describe('the global position of the last event this answer reflects');

export const InventoryResponse = z
  .object({
    position: Position,
    holders: z.array(z.object({ holder: z.string(), name: z.string(), kind: z.string(), items: z.array(Amount) })),
    inTransit: z.array(z.object({ shipmentId: z.string(), items: z.array(Amount) })),
    totals: z.array(
      z.object({
        category: z.union([ItemCategory, z.literal('unknown')]),
        onHand: z.number(),
        inTransit: z.number(),
        exact: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'Inventory' });

export const PersonnelResponse = z
  .object({
    position: Position,
    authorisedStrength: z.number().int(),
    deployed: z.number(),
    exact: z.boolean(),
    byCountry: z.array(
      z.object({
        country: z.string(),
        role: z.string(),
        deployed: z.number(),
        arrived: z.number(),
        departed: z.number(),
        exact: z.boolean(),
        locations: z.array(z.object({ location: z.string(), arrived: z.number() })),
      }),
    ),
  })
  .meta({ id: 'Personnel' });

export const projectionRoutes: FastifyPluginAsync<LedgerDeps> = async (app, deps) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const state = deps.projector.state;

  typed.get(
    '/inventory',
    {
      schema: {
        summary: 'On hand by holder and item type, in transit by shipment, totals by category',
        tags: ['projections'],
        querystring: z.object({ holder: z.string().optional() }).strict(),
        response: { 200: InventoryResponse, 400: Problem },
      },
    },
    async (request) => ({
      position: state.position,
      ...inventoryView(state.inventory, state.catalog, request.query),
    }),
  );

  typed.get(
    '/personnel',
    {
      schema: {
        summary: 'Personnel deployed by contributing country and role, against the authorised strength',
        tags: ['projections'],
        response: { 200: PersonnelResponse },
      },
    },
    async () => ({ position: state.position, ...personnelView(state.personnel) }),
  );
};
