/**
 * Every route the app serves, as registered: its methods and who may call it.
 * Filled by an onRoute hook (the `mss-catalog` plugin, registered before any
 * route); read by authentication (who may call), the OpenAPI post-processing
 * (security per operation), the 405 answers (which methods a path allows) and
 * the tests (every route is documented).
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { accessOf, type Access } from '../../auth/policy.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route, its methods and who may call it. */
    catalog: RouteCatalog;
  }
}

export interface Operation {
  method: string;
  url: string;
  access: Access;
  projection: boolean;
  /** Hidden from the OpenAPI document (Swagger UI's assets, 405 answers). */
  hidden: boolean;
}

export interface RouteConfigFlags {
  access?: Access;
  projection?: boolean;
  methodNotAllowed?: boolean;
}

export class RouteCatalog {
  /** By `METHOD url`. */
  readonly operations = new Map<string, Operation>();
  /** The methods each path answers (405s excluded). */
  readonly methodsByUrl = new Map<string, Set<string>>();

  add(route: RouteOptions): Operation[] {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toUpperCase());
    const config = route.config as RouteConfigFlags | undefined;
    const hidden = Boolean((route.schema as { hide?: boolean } | undefined)?.hide) || Boolean(config?.methodNotAllowed);
    // A prefixed `/` route is also served with a trailing slash: one path for both.
    const url = route.url.length > 1 && route.url.endsWith('/') ? route.url.slice(0, -1) : route.url;
    const access = accessOf(config, url);
    const added: Operation[] = [];
    for (const method of methods) {
      const operation = { method, url, access, projection: Boolean(config?.projection), hidden };
      if (!config?.methodNotAllowed) {
        this.operations.set(`${method} ${url}`, operation);
        const known = this.methodsByUrl.get(url) ?? new Set<string>();
        known.add(method);
        this.methodsByUrl.set(url, known);
      }
      added.push(operation);
    }
    return added;
  }

  get(method: string, url: string): Operation | undefined {
    return this.operations.get(`${method.toUpperCase()} ${url}`);
  }

  /** `/v1/streams/:id` → `/v1/streams/{id}`, as OpenAPI writes paths. */
  static openapiPath(url: string): string {
    return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  }
}

/**
 * Decorates the app with its `catalog` and records every route registered
 * after it, setting the route's resolved `access` in its config for the
 * plugins that guard it.
 */
export const catalogPlugin = fp(
  async (app: FastifyInstance) => {
    const catalog = new RouteCatalog();
    app.decorate('catalog', catalog);
    app.addHook('onRoute', (route) => {
      const [operation] = catalog.add(route);
      if (operation) route.config = { ...(route.config as object), access: operation.access };
    });
  },
  { name: 'mss-catalog', fastify: '5.x' },
);
