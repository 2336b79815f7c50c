#!/usr/bin/env node
// Renders the production build in real chromium without a backend (`vite preview`): the catalog
// must show an honest error state with a retry button, routing/404 and guards must work, and no
// script error may occur. Screenshots go to screenshots/preview-*.png. Run: npm run smoke
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, screenshot } from './lib.mjs';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(web, 'dist', 'index.html'))) {
  console.error('dist/ missing: run `npm run build` first');
  process.exit(2);
}
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const port = await freePort();
const deadBackend = await freePort(); // nothing listens there: API calls fail like a down backend
const preview = spawn(process.execPath, [join(web, 'node_modules', 'vite', 'bin', 'vite.js'), 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], {
  cwd: web,
  env: { ...process.env, BOOKSTORE_URL: `http://127.0.0.1:${deadBackend}` },
  stdio: ['ignore', 'pipe', 'pipe'],
});
const base = `http://127.0.0.1:${port}`;
let passed = 0;
let failed = 0;
const check = async (name, fn) => {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(e?.stack ?? e).split('\n').join('\n  ')}`);
  }
};

try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(base)).ok) break;
    } catch {
      /* not yet */
    }
    if (i > 100) throw new Error('vite preview did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  await check('catalog without an API shows an error state with a retry button', async () => {
    await page.goto('/');
    await page.getByRole('heading', { name: 'Catalog' }).waitFor();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /trouble|reach|went wrong/i);
    const retry = page.getByRole('button', { name: 'Try again' });
    await retry.waitFor();
    await screenshot(page, 'preview-catalog-error');
    await retry.click();
    await page.getByRole('button', { name: 'Try again' }).waitFor();
  });

  await check('the header offers sign-in, search and an empty cart', async () => {
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    await page.getByRole('search').waitFor();
    assert.equal(await page.getByRole('link', { name: /Cart, 0 items/ }).count(), 1);
  });

  await check('unknown routes show the 404 page', async () => {
    await page.goto('/no/such/page');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await screenshot(page, 'preview-404');
  });

  await check('guest cart page is an honest empty state', async () => {
    await page.goto('/cart');
    await page.getByRole('heading', { name: 'Your cart is empty' }).waitFor();
  });

  await check('admin and my orders ask a guest to sign in', async () => {
    await page.goto('/admin');
    await page.getByRole('heading', { name: 'Please sign in' }).waitFor();
    await page.goto('/orders');
    await page.getByRole('heading', { name: 'Please sign in' }).waitFor();
  });

  await check('narrow (mobile) layout renders', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto('/');
    await page.getByRole('button', { name: 'Try again' }).waitFor();
    await screenshot(page, 'preview-catalog-error-mobile');
  });

  await check('no uncaught script errors; nothing in Web Storage', async () => {
    assert.deepEqual(errors, []);
    const n = await page.evaluate(() => localStorage.length + sessionStorage.length);
    assert.equal(n, 0);
  });
  await browser.close();
} finally {
  preview.kill('SIGTERM');
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
