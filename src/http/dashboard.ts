/**
 * The dashboard: a single page (web/) served at `/`, plain ES modules and one
 * vendored script (uPlot, from node_modules), so it works offline and needs no
 * build. The page is a client of the API like any other: it reads projections
 * with a key it keeps in sessionStorage and sends only in `Authorization`.
 *
 * Its files are public (they hold no ledger data) and get a CSP of their own,
 * self-only (security-headers.ts): the JSON API's policy allows nothing at all.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import compress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A file of the dashboard: public, with the dashboard's CSP. */
    dashboard?: boolean;
  }
}

/** The nearest directory above this module holding `web/`: the repository, or /app in the image (run from dist/). */
function webRoot(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'web', 'index.html'))) return path.join(dir, 'web');
    if (path.dirname(dir) === dir) throw new Error('the dashboard (web/index.html) is missing');
  }
}

export const WEB_ROOT = webRoot();
const UPLOT_ROOT = path.dirname(createRequire(import.meta.url).resolve('uplot'));
/** The only vendored files served: nothing else under node_modules is reachable. */
const VENDORED = new Set(['uPlot.iife.min.js', 'uPlot.min.css']);

const config = { access: 'public', dashboard: true } as const;
// Files revalidate on every load (ETag, 304): a release shows at once, an unchanged file costs a 304.
const sendOptions = { cacheControl: false } as const;

export const dashboardRoutes: FastifyPluginAsync = async (app: FastifyInstance) => {
  await app.register(compress, { threshold: 1024, encodings: ['br', 'gzip'] });
  await app.register(fastifyStatic, { root: WEB_ROOT, serve: false });
  const noCache = { 'cache-control': 'no-cache' };
  app.get('/', { config, schema: { hide: true } }, (_request, reply) =>
    reply.headers(noCache).sendFile('index.html', WEB_ROOT, sendOptions),
  );
  app.get<{ Params: { '*': string } }>('/app/*', { config, schema: { hide: true } }, (request, reply) =>
    reply.headers(noCache).sendFile(request.params['*'], WEB_ROOT, sendOptions),
  );
  app.get<{ Params: { file: string } }>('/vendor/uplot/:file', { config, schema: { hide: true } }, (request, reply) =>
    VENDORED.has(request.params.file)
      ? reply.headers(noCache).sendFile(request.params.file, UPLOT_ROOT, sendOptions)
      : reply.callNotFound(),
  );
};
