/**
 * Debian's Chromium (apt-get install chromium), driven by playwright-core: no
 * browser is ever downloaded. Tests that need it skip, saying so, when it is absent.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumMissing = (): string | false =>
  existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install -y chromium): browser tests skipped`;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Screenshots are kept as test artifacts, never committed (test-artifacts/ is ignored). */
export const ARTIFACTS = path.resolve('test-artifacts/screenshots');

/** A browser on a fresh user-data dir, removed on close. */
export async function openBrowser(options: { width?: number; height?: number } = {}) {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'mss-chromium-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A browser whose contexts each start cold (own cache, own storage): for first-load measurements. */
export const launchBrowser = () => chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
