/**
 * Who may call what. A route declares what kind of access it gives
 * (`config.access`), or is a projection (`config.projection: true`); the
 * roles allowed follow from that, in one table.
 *
 * - `viewer` (dashboards): projections and the position stream only.
 * - `recorder`: posts events; reads projections, the event log and streams,
 *   so it can check what it recorded and resume after a failure.
 * - `auditor`: reads everything: projections, the event log, streams and the
 *   NDJSON export. It cannot post.
 *
 * A route that says nothing is readable by recorders and auditors: a new
 * endpoint is never public by accident.
 */
import type { Role } from './keys.js';

export type Access = 'public' | 'projections' | 'log' | 'export' | 'record';

export const ROLES_FOR: Record<Exclude<Access, 'public'>, readonly Role[]> = {
  projections: ['viewer', 'recorder', 'auditor'],
  log: ['recorder', 'auditor'],
  export: ['auditor'],
  record: ['recorder'],
};

export const DEFAULT_ACCESS: Access = 'log';

export function accessOf(config: { access?: Access; projection?: boolean } | undefined, url: string): Access {
  if (config?.access) return config.access;
  if (config?.projection) return 'projections';
  if (url === '/docs' || url.startsWith('/docs/')) return 'public';
  return DEFAULT_ACCESS;
}

export const rolesFor = (access: Access): readonly Role[] => (access === 'public' ? [] : ROLES_FOR[access]);
