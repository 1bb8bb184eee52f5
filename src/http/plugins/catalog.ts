/**
 * Every route the app serves, as registered: its methods and who may call it.
 * Filled by an onRoute hook; read by the OpenAPI post-processing (security per
 * operation), the 405 answers (which methods a path allows) and the tests
 * (every route is documented).
 */
import type { RouteOptions } from 'fastify';
import { accessOf, type Access } from '../../auth/policy.js';

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
