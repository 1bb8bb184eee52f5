/// <reference lib="dom" />
/**
 * The dashboard in a real Chromium: what a logistics officer, a donor's liaison
 * or an auditor sees, checked against the API's own answers. The browser
 * watches every request the page makes: the key is never in a URL.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import t from 'tap';
import { ARTIFACTS, chromiumMissing, openBrowser } from '../support/browser.js';
import { TEST_KEYS, testLedger } from '../support/ledger.js';

const missing = chromiumMissing();
if (missing) {
  t.comment(missing);
  t.pass(missing);
  t.end();
} else {
  await run();
}

async function run() {
  const { app, inject } = await testLedger(t, { seed: true });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await openBrowser();
  t.teardown(browser.close);
  const page = await browser.context.newPage();
  const urls: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  const consoleErrors: string[] = [];
  const refused: string[] = [];
  page.on(
    'response',
    (response) => response.status() >= 400 && refused.push(`${response.status()} ${new URL(response.url()).pathname}`),
  );
  // A refused request is checked below, by status and path; anything else the page logs is an error.
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));

  const api = async (url: string) => (await inject('viewer', { method: 'GET', url })).json();
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const firearms = (holder?: string) =>
    page
      .locator(
        holder
          ? `[data-category="firearm"][data-holder="${holder}"]`
          : '[data-category="firearm"][data-measure="on-hand"]',
      )
      .first();
  /** Waits until the page has rendered this view for this slice. */
  /** Waits until the page says it has drawn `view` for `query` (and, when given, in `language`: `view query position language`). */
  const rendered = (view: string, query = '', language = '') =>
    page.waitForFunction(
      ([v, q, l]) => {
        const drawn = document.body.dataset.rendered;
        return drawn?.startsWith(`${v} ${q} `) === true && (l === '' || drawn.endsWith(` ${l}`));
      },
      [view, query, language] as const,
      { timeout: 5000 },
    );

  t.test('sign in with a viewer key: the overview matches the API', async (t) => {
    await page.goto(`${base}/`);
    await page.getByLabel('API key').fill(TEST_KEYS.viewer);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await rendered('overview');
    const inventory = await api('/v1/inventory');
    const personnel = await api('/v1/personnel');
    const total = inventory.totals.find((x: { category: string }) => x.category === 'firearm');
    t.equal(await firearms().textContent(), `≥ ${total.onHandBounds.lower.toLocaleString('en')}`, 'firearms: ≥ 615');
    t.equal(total.onHandBounds.lower, 615);
    t.equal(
      await page.locator('[data-figure="personnel-deployed"]').textContent(),
      `≥ ${personnel.lower.toLocaleString('en')}`,
    );
    t.equal(await page.locator('[data-figure="authorised-strength"]').textContent(), '2,500');
    t.equal(await page.evaluate(() => sessionStorage.getItem('mss-ledger.key')), TEST_KEYS.viewer, 'kept for the tab');
    await shot('overview');
  });

  t.test('each view renders; screenshots of every one', async (t) => {
    for (const view of ['holders', 'personnel', 'history', 'shipments', 'donors', 'custody', 'events']) {
      await page.locator(`[data-view="${view}"]`).click();
      await rendered(view);
      t.notOk(await page.locator(`[data-view-panel="${view}"] .error`).count(), `${view}: no error`);
      await shot(view);
    }
    t.match(
      await page.locator('[data-view-panel="personnel"]').textContent(),
      /joined, size not reported/,
      'a contingent without a reported size says so',
    );
    t.equal(
      await page.locator('[data-pledged="chad"]').textContent(),
      'pledged, size not given',
      "004's pledge, with no invented size",
    );
    t.ok(await page.locator('[data-forbidden="events"]').count(), 'a viewer key is told the log needs another role');
    await page.locator('[data-view="custody"]').click();
    await page.getByLabel('Serial number').fill('NO-SUCH-SERIAL');
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.getByText('No item with serial NO-SUCH-SERIAL').waitFor({ timeout: 3000 });
    await page.locator('[data-view="overview"]').click();
    await rendered('overview');
  });

  t.test('the asOf slider: 9 February 2025, no mission firearms; 10 February, at least 600', async (t) => {
    const slider = page.locator('#asof-slider');
    const index = (date: string) => Math.round((Date.parse(date) - Date.parse('2023-10-01')) / 86_400_000);
    await page.locator('[data-view="holders"]').click();
    await slider.fill(String(index('2025-02-09')));
    await rendered('holders', '?asOf=2025-02-09');
    t.equal(await firearms('mss').count(), 0, 'no firearm at the mission on 9 February');
    await slider.focus();
    await page.keyboard.press('ArrowRight');
    await rendered('holders', '?asOf=2025-02-10');
    const shown = await firearms('mss').textContent();
    t.match(shown, /^≥ \d/, 'an "at least" figure');
    t.ok(Number(shown?.replace(/[^\d]/g, '')) >= 600, `${shown}: at least 600`);
    t.match(page.url(), /#asOf=2025-02-10&view=holders$/, 'the URL carries the date');
    await shot('holders-2025-02-10');
  });

  t.test('knownAt before the seed: the ledger knew nothing', async (t) => {
    await page.locator('[data-view="overview"]').click();
    await page.locator('#asof-now').click();
    await page.locator('#knownat-date').fill('2025-01-01');
    await rendered('overview', '?knownAt=2025-01-01');
    t.equal(await page.locator('[data-empty="inventory"]').count(), 1, 'no stock');
    t.equal(await page.locator('[data-figure="personnel-deployed"]').textContent(), '0', 'nobody deployed');
    await shot('known-at-before-seed');
    await page.locator('#knownat-clear').click();
    await rendered('overview');
  });

  t.test('an event posted through the API shows within 2 s, without a reload', async (t) => {
    const before = await firearms().textContent();
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const posted = await inject('recorder', {
      method: 'POST',
      url: '/v1/events',
      payload: {
        type: 'DonationReceived',
        occurredAt: new Date().toISOString(),
        data: { donor: 'us-government', recipient: 'hnp', lines: [{ itemType: 'handgun', quantity: { value: 5 } }] },
      },
    });
    t.equal(posted.statusCode, 201, posted.body);
    const started = Date.now();
    await page.waitForFunction(
      (previous) =>
        document.querySelector('[data-category="firearm"][data-measure="on-hand"]')?.textContent !== previous,
      before,
      { timeout: 2000 },
    );
    t.ok(Date.now() - started < 2000, `updated in ${Date.now() - started} ms`);
    t.equal(await firearms().textContent(), '≥ 620');
    t.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'no reload');
  });

  t.test('in French: French labels, <html lang>, numbers as 2 500', async (t) => {
    await page.getByRole('button', { name: 'Français' }).click();
    await page.waitForFunction(() => document.documentElement.lang === 'fr');
    // Not the English pass still on the page: the one drawn in French.
    await rendered('overview', '', 'fr');
    t.equal(await page.locator('[data-view="overview"]').textContent(), "Vue d'ensemble");
    t.equal(
      await page.locator('[data-figure="authorised-strength"]').textContent(),
      new Intl.NumberFormat('fr').format(2500),
    );
    t.match(await page.locator('[data-figure="authorised-strength"]').textContent(), /^2\s500$/u);
    t.match(await page.locator('#showing').textContent(), /aujourd'hui/);
    await page.locator('[data-view="personnel"]').click();
    await rendered('personnel', '', 'fr');
    t.equal(await page.locator('[data-country="chad"] th').textContent(), 'Tchad', 'country names in French');
    t.equal(await page.locator('[data-pledged="chad"]').textContent(), 'promis, effectif non précisé');
    await shot('personnel-fr');
    await page.locator('[data-view="overview"]').click();
    await rendered('overview');
    await shot('overview-fr');
    await page.getByRole('button', { name: 'English' }).click();
    await page.waitForFunction(() => document.documentElement.lang === 'en');
  });

  t.test('a shared URL opens on its date, with the key kept for the tab', async (t) => {
    await page.goto(`${base}/#asOf=2025-02-09&view=holders`);
    await rendered('holders', '?asOf=2025-02-09');
    t.equal(await firearms('mss').count(), 0);
    await page.reload();
    await rendered('holders', '?asOf=2025-02-09');
    t.equal(await page.locator('#asof-date').inputValue(), '2025-02-09', 'the date control shows it');
    t.equal(await page.locator('#signin').isHidden(), true, 'no second sign-in');
  });

  t.test('accessibility: no serious or critical axe-core violation', async (t) => {
    const require = createRequire(import.meta.url);
    const axe = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    for (const view of ['overview', 'holders', 'personnel', 'history', 'donors']) {
      await page.locator(`[data-view="${view}"]`).click();
      await rendered(view, '?asOf=2025-02-09');
      // Injected through the DevTools protocol: the page's own CSP allows no inline script.
      await page.evaluate(axe);
      const violations = await page.evaluate(async () => {
        const result = await (
          window as unknown as { axe: { run: () => Promise<{ violations: { id: string; impact: string }[] }> } }
        ).axe.run();
        return result.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id} (${v.impact})`);
      });
      t.same(violations, [], `${view}: no serious or critical violation`);
    }
  });

  t.test('a phone-sized screen', async (t) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('[data-view="overview"]').click();
    await page.locator('#asof-now').click();
    await rendered('overview');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    t.ok(overflow <= 0, `no sideways scroll (${overflow}px)`);
    await shot('overview-phone');
  });

  t.test('an auditor sees the recent events, newest first, each with its source document', async (t) => {
    const tab = await browser.context.newPage();
    tab.on('request', (request) => urls.push(request.url()));
    await tab.goto(`${base}/#view=events`);
    await tab.getByLabel('API key').fill(TEST_KEYS.auditor);
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.waitForFunction(() => document.body.dataset.rendered?.startsWith('events  '));
    const positions = await tab
      .locator('[data-position]')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-position'))));
    t.ok(positions.length >= 20, `${positions.length} events`);
    t.same(
      positions,
      [...positions].sort((a, b) => b - a),
      'newest first',
    );
    t.match(
      await tab.locator('[data-view-panel="events"]').textContent(),
      /004_26e19b7403042e9a\.txt/,
      'sources named',
    );
    // From a holding to the events and documents behind it.
    await tab.locator('[data-view="holders"]').click();
    await tab.locator('[data-holder="mss"][data-item="firearm-assorted"]').click();
    await tab.waitForFunction(() => document.body.dataset.rendered?.startsWith('events  '));
    t.match(
      await tab.locator('[data-view-panel="events"]').textContent(),
      /000_b83c8061e6c268b2\.txt/,
      'the handover and its article',
    );
    await tab.screenshot({ path: path.join(ARTIFACTS, 'events-auditor.png'), fullPage: true });
    // From a country's deployed figure to its personnel events; from a donor's figure to its events.
    await tab.locator('[data-view="personnel"]').click();
    await tab.locator('[data-deployed="kenya"] a').first().click();
    await tab.waitForFunction(() => document.body.dataset.rendered?.startsWith('events  '));
    const kenya = (await tab.locator('[data-view-panel="events"]').textContent()) ?? '';
    t.match(kenya, /PersonnelDeployed/, "Kenya's deployments");
    t.notMatch(kenya, /DonationReceived|MaterielTransferred/, 'and nothing else');
    t.match(kenya, /\d{3}_[0-9a-f]{16}\.txt/, 'with their articles');
    await tab.locator('[data-view="donors"]').click();
    await tab.locator('[data-donor="us-inl"] a[data-measure]').first().click();
    await tab.waitForFunction(() => document.body.dataset.rendered?.startsWith('events  '));
    t.match(
      await tab.locator('[data-view-panel="events"]').textContent(),
      /us-inl[\s\S]*\d{3}_[0-9a-f]{16}\.txt/,
      "the donor's events and their articles",
    );
    await tab.close();
    t.notOk(
      urls.some((url) => url.includes(TEST_KEYS.auditor)),
      'the auditor key in no URL either',
    );
  });

  t.test('polling an unchanged ledger costs only 304s', async (t) => {
    await page.goto(`${base}/?poll=300#view=overview`);
    await rendered('overview');
    await page.waitForTimeout(300);
    const answers: number[] = [];
    const count = (response: { url: () => string; status: () => number }) => {
      if (new URL(response.url()).pathname.startsWith('/v1/') && !response.url().endsWith('/stream'))
        answers.push(response.status());
    };
    page.on('response', count);
    await page.waitForTimeout(1500);
    page.off('response', count);
    t.ok(answers.length >= 4, `${answers.length} revalidations`);
    t.same([...new Set(answers)], [304], 'every one a 304');
  });

  t.test('the key never appears in a URL the page requested, and the page logged no error', async (t) => {
    t.ok(urls.length > 20, `${urls.length} requests watched`);
    t.same(
      urls.filter((url) => url.includes(TEST_KEYS.viewer) || url.includes(encodeURIComponent(TEST_KEYS.viewer))),
      [],
    );
    t.same(consoleErrors, [], 'no script error');
    t.same(
      [...new Set(refused)].sort(),
      ['403 /v1/events', '404 /v1/items/NO-SUCH-SERIAL'],
      'refused only: the log for a viewer key, an unknown serial',
    );
  });
}
