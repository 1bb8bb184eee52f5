/// <reference lib="dom" />
/**
 * The dashboard on a slow link and a small budget (issue 11), measured in
 * Debian's Chromium on the seeded ledger:
 *
 * - page weight: the compressed bytes of the initial load (HTML, scripts,
 *   styles, the language catalogue), as the browser received them;
 * - time to first full render: from navigation to the overview drawn from the
 *   API's answers, cold (a fresh browser context: empty cache), key already
 *   in sessionStorage as after a sign-in; the median of RUNS;
 * - steady polling of an unchanged ledger: every revalidation the page makes
 *   in WATCH_MS, counted by status. All must be 304s.
 */
import { chromiumMissing, launchBrowser } from '../../test/support/browser.js';
import { BENCH_KEY } from '../lib/auth.js';
import { startService, withChild } from '../lib/child.js';
import { row, type Row, type Scenario } from '../lib/types.js';

export const PAGE_WEIGHT_BUDGET_KB = 250;
const RUNS = 5;
const POLL_MS = 500;
const WATCH_MS = 10_000;
const TITLE = 'dashboard in Chromium';

const isStatic = (pathname: string) =>
  pathname === '/' || pathname.startsWith('/app/') || pathname.startsWith('/vendor/');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export const dashboard: Scenario = {
  id: 'dashboard',
  title: TITLE,
  async run(ctx) {
    const missing = chromiumMissing();
    if (missing) {
      ctx.log(`dashboard: ${missing}`);
      return { rows: [], details: { skipped: missing } };
    }
    return withChild(startService(ctx, { name: 'service-dashboard' }), async (service) => {
      const browser = await launchBrowser();
      try {
        const renders: number[] = [];
        let weight: { file: string; encoded: number; decoded: number }[] = [];
        for (let run = 0; run < RUNS; run++) {
          const context = await browser.newContext();
          await context.addInitScript((key) => sessionStorage.setItem('mss-ledger.key', key), BENCH_KEY);
          const page = await context.newPage();
          const files: Promise<{ file: string; encoded: number; decoded: number }>[] = [];
          page.on('requestfinished', (request) => {
            const url = new URL(request.url());
            if (!isStatic(url.pathname)) return;
            files.push(
              request.sizes().then(async (sizes) => ({
                file: url.pathname,
                encoded: sizes.responseBodySize,
                decoded: (await (await request.response())?.body())?.length ?? 0,
              })),
            );
          });
          await page.goto(`${service.url}/`);
          await page.waitForFunction(() => document.body.dataset.rendered?.startsWith('overview'), undefined, {
            timeout: 20_000,
          });
          renders.push(await page.evaluate(() => performance.now()));
          if (run === 0) weight = await Promise.all(files);
          await context.close();
        }

        const context = await browser.newContext();
        await context.addInitScript((key) => sessionStorage.setItem('mss-ledger.key', key), BENCH_KEY);
        const page = await context.newPage();
        await page.goto(`${service.url}/?poll=${POLL_MS}`);
        await page.waitForFunction(() => document.body.dataset.rendered?.startsWith('overview'));
        await page.waitForTimeout(POLL_MS);
        const statuses = new Map<number, number>();
        page.on('response', (response) => {
          const url = new URL(response.url());
          if (url.pathname.startsWith('/v1/') && url.pathname !== '/v1/positions/stream')
            statuses.set(response.status(), (statuses.get(response.status()) ?? 0) + 1);
        });
        await page.waitForTimeout(WATCH_MS);
        await context.close();

        const encodedKb = weight.reduce((sum, f) => sum + f.encoded, 0) / 1024;
        const decodedKb = weight.reduce((sum, f) => sum + f.decoded, 0) / 1024;
        const revalidations = [...statuses.values()].reduce((a, b) => a + b, 0);
        const notModified = statuses.get(304) ?? 0;
        ctx.log(
          `dashboard: initial load ${encodedKb.toFixed(1)} KB compressed (${decodedKb.toFixed(1)} KB decoded) in ${weight.length} files; ` +
            `first full render ${median(renders).toFixed(0)} ms (median of ${RUNS}); ` +
            `${revalidations} revalidations in ${WATCH_MS / 1000} s: ${JSON.stringify(Object.fromEntries(statuses))}`,
        );
        const rows: Row[] = [
          row({
            scenario: TITLE,
            metric: 'initial load, compressed',
            unit: 'KB',
            ours: encodedKb,
            target: { op: '<=', value: PAGE_WEIGHT_BUDGET_KB },
          }),
          row({
            scenario: TITLE,
            metric: 'time to first full render (median, cold)',
            unit: 'ms',
            ours: median(renders),
          }),
          row({
            scenario: TITLE,
            metric: `steady polling: 304s of ${revalidations} revalidations`,
            unit: 'share',
            ours: revalidations === 0 ? 0 : notModified / revalidations,
            target: { op: '>=', value: 1 },
          }),
        ];
        return {
          rows,
          details: { weight, renders, statuses: Object.fromEntries(statuses), pollMs: POLL_MS, watchMs: WATCH_MS },
        };
      } finally {
        await browser.close();
      }
    });
  },
};
