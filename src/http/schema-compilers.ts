/**
 * The schema compilers a Fastify instance is built with. Given as the instance's compilers factory,
 * they stand in for Fastify's defaults (Ajv and fast-json-stringify), which Fastify otherwise
 * requires at construction: about 30 ms of every start (an instance built and made ready in
 * 40-42 ms with them, 10-12 ms without), for two instances (the boot server and the app) neither
 * of which uses them. The app's are zod's (src/http/app.ts); the boot server's routes
 * take no schema.
 *
 * This module imports no compiler itself: the boot server starts before the app's modules load.
 */
import type { FastifyServerOptions } from 'fastify';

type SchemaController = NonNullable<FastifyServerOptions['schemaController']>;

/**
 * Fastify types the factories by what Ajv and fast-json-stringify compile to; a compiler of any
 * other kind takes the same route definition and gives a plain function, which is all Fastify calls.
 */
export const schemaControllerOf = (factories: { buildValidator: () => unknown; buildSerializer: () => unknown }) =>
  ({ compilersFactory: factories }) as SchemaController;

/** For an instance whose routes take no schema (the boot server): a route given one is a defect, said at once. */
export const noSchemaController = schemaControllerOf({
  buildValidator: () => () => {
    throw new Error('this server validates nothing: its routes take no schema');
  },
  buildSerializer: () => () => {
    throw new Error('this server serialises nothing by a schema: its routes take no schema');
  },
});
