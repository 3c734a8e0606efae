// Serves build/web with Vite's preview server and launches Debian's Chromium via playwright-core.
// Every request the page makes is recorded; screenshots go to build/screenshots.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { preview } from 'vite';
import { afterAll, beforeAll } from 'vitest';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const screenshotDir = path.join(repoRoot, 'build/screenshots');

export async function startPage({ colorScheme = 'light' } = {}) {
  const server = await preview({
    configFile: path.join(repoRoot, 'web/vite.config.js'),
    preview: { port: 0, host: '127.0.0.1', strictPort: false },
    logLevel: 'silent',
  });
  const url = server.resolvedUrls.local[0];
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ acceptDownloads: true, colorScheme, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  context.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => errors.push(error.message));
  return {
    url,
    page,
    requests,
    errors,
    // The page as it is now, in both themes.
    async screenshot(name) {
      fs.mkdirSync(screenshotDir, { recursive: true });
      for (const scheme of ['light', 'dark']) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.waitForTimeout(100);
        await page.screenshot({ path: path.join(screenshotDir, `${name}-${scheme}.png`), fullPage: true });
      }
      await page.emulateMedia({ colorScheme });
    },
    async close() {
      await browser.close();
      await new Promise((resolve) => server.httpServer.close(resolve));
    },
  };
}

// The page of one test file: started before its tests and closed after them. The object it
// returns gets startPage's fields (page, url, requests, errors, screenshot) once the page is up.
export function usePage(options) {
  const session = {};
  beforeAll(async () => Object.assign(session, await startPage(options)));
  afterAll(async () => session.close?.());
  return session;
}

// Waits for the bundled example (or another model) and its samples to be ready to run.
export async function waitForModel(page, name) {
  await page.waitForFunction((n) => {
    const app = document.querySelector('qplay-playground');
    return app?.modelName === n && app.haveSamples && app.layers.length > 0;
  }, name, { timeout: 60000 });
}

// Clicks Run and waits for new results or an error.
export async function runAndWait(page) {
  await page.evaluate(() => (window.previousResults = document.querySelector('qplay-playground').results));
  await page.locator('#run').click();
  await page.waitForFunction(() => {
    const app = document.querySelector('qplay-playground');
    return app.progress === null && (app.results !== window.previousResults || app.runError);
  }, null, { timeout: 120000 });
}
