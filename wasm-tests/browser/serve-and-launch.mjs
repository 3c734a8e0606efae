// Serves build/web with Vite's preview server and launches Debian's Chromium via playwright-core.
import path from 'node:path';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

export async function startPage() {
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
  const page = await browser.newPage();
  const requests = [];
  page.on('request', (request) => requests.push(request.url()));
  return {
    url,
    page,
    requests,
    async close() {
      await browser.close();
      await new Promise((resolve) => server.httpServer.close(resolve));
    },
  };
}
