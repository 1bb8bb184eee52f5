/**
 * The dashboard's files: public (they hold no ledger data), self-only CSP, no
 * way from them into the rest of the disk, and the API's own policy untouched.
 */
import t from 'tap';
import { testLedger } from '../support/ledger.js';

t.test('the page, its modules and its one library are served without a key, under a self-only CSP', async (t) => {
  const { app } = await testLedger(t);
  const page = await app.inject({ method: 'GET', url: '/' });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.body, /<label for="api-key" data-i18n="signin.key">API key<\/label>/);
  const csp = String(page.headers['content-security-policy']);
  t.match(csp, /script-src 'self'/);
  t.match(csp, /style-src 'self'/);
  t.match(csp, /connect-src 'self'/);
  t.notMatch(csp, /unsafe-inline|unsafe-eval|https?:/, 'no inline code, nothing from elsewhere');
  t.equal(page.headers['x-frame-options'], 'DENY');
  for (const url of [
    '/app/app.js',
    '/app/i18n/fr.json',
    '/vendor/uplot/uPlot.iife.min.js',
    '/vendor/uplot/uPlot.min.css',
  ])
    t.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url);
  const api = await app.inject({ method: 'GET', url: '/v1/inventory' });
  t.equal(api.statusCode, 401, 'the API still needs a key');
  t.equal(api.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", 'and keeps its policy');
});

t.test('nothing else on disk is reachable through the dashboard', async (t) => {
  const { app } = await testLedger(t);
  for (const url of [
    '/app/../package.json',
    '/app/%2e%2e/package.json',
    '/app/..%2fsrc/main.ts',
    '/vendor/uplot/uPlot.esm.js',
    '/vendor/uplot/..%2f..%2fpackage.json',
  ]) {
    const response = await app.inject({ method: 'GET', url });
    t.ok([400, 403, 404].includes(response.statusCode), `${url}: ${response.statusCode}`);
    t.notMatch(response.body, /"dependencies"|import /, `${url}: no file content`);
  }
});

t.test('compressed when the browser asks, revalidated by ETag', async (t) => {
  const { app } = await testLedger(t);
  const first = await app.inject({ method: 'GET', url: '/app/views.js', headers: { 'accept-encoding': 'gzip' } });
  t.equal(first.headers['content-encoding'], 'gzip');
  t.equal(first.headers['cache-control'], 'no-cache');
  const etag = String(first.headers.etag);
  const again = await app.inject({ method: 'GET', url: '/app/views.js', headers: { 'if-none-match': etag } });
  t.equal(again.statusCode, 304);
});

t.test('every string the page uses is in both catalogues', async (t) => {
  const { readFileSync, readdirSync } = await import('node:fs');
  const en = JSON.parse(readFileSync('web/i18n/en.json', 'utf8')) as Record<string, string>;
  const fr = JSON.parse(readFileSync('web/i18n/fr.json', 'utf8')) as Record<string, string>;
  t.same(Object.keys(fr).sort(), Object.keys(en).sort(), 'the same keys in English and French');
  const used = new Set<string>();
  for (const file of readdirSync('web').filter((f) => f.endsWith('.js') || f.endsWith('.html'))) {
    const text = readFileSync(`web/${file}`, 'utf8');
    for (const match of text.matchAll(/(?:\bt\(|data-i18n=)['"`]([a-z]+\.[A-Za-z-]+)['"`]/g)) used.add(match[1]!);
  }
  t.ok(used.size > 40, `${used.size} keys used`);
  t.same(
    [...used].filter((key) => !(key in en)),
    [],
    'no key missing',
  );
});
