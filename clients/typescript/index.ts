/**
 * A typed client for the MSS Ledger API: openapi-fetch over the types
 * generated from /openapi.json (schema.d.ts). Paths, parameters, bodies and
 * answers are checked by the compiler.
 *
 *   const ledger = ledgerClient('http://localhost:3000', process.env.LEDGER_KEY!);
 *   const { data, error } = await ledger.GET('/v1/inventory');
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, paths };
export type LedgerClient = ReturnType<typeof ledgerClient>;
export type IncomingEvent = components['schemas']['EventsBody'];

export function ledgerClient(baseUrl: string, apiKey: string) {
  return createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${apiKey}` } });
}
