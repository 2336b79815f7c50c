// Shared helpers for the end-to-end specs: playwright-core driving Debian's chromium against a
// real `bookstore serve` (see run.mjs). Nothing here downloads a browser.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const SCREENSHOT_DIR = join(here, '..', 'screenshots');
export const BASE_URL = (process.env.E2E_BASE_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
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
/** A suffix that makes names created by this run unique (specs may run against a reused server). */
export const RUN_ID = process.env.E2E_RUN_ID ?? Date.now().toString(36);

let isbnSeq = 0;
/**
 * A valid ISBN-13 (the server checks the check digit) that no other book uses (ISBNs are unique):
 * 979 + 9 digits from the clock and a counter + check digit.
 */
export function uniqueIsbn() {
  const body = `979${String((Date.now() * 10 + (isbnSeq++ % 10)) % 1e9).padStart(9, '0')}`;
  const sum = [...body].reduce((acc, d, i) => acc + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  const check = (10 - (sum % 10)) % 10;
  return `${body.slice(0, 3)}-${body.slice(3)}${check}`;
}

/** Same format as BOOKSTORE_DEV_USERS; run.mjs passes it to the server it starts. */
export const DEV_USERS =
  process.env.E2E_DEV_USERS ??
  'user1:user1-e2e-pw:customer,user2:user2-e2e-pw:customer,user3:user3-e2e-pw:customer,user4:user4-e2e-pw:customer,admin1:admin1-e2e-pw:customer+admin';

export function user(name) {
  for (const entry of DEV_USERS.split(',')) {
    const [username, password, roles] = entry.split(':');
    if (username === name) return { username, password, roles: roles.split('+') };
  }
  throw new Error(`user ${name} is not in E2E_DEV_USERS`);
}

/** The seed books of docs/API.md (fixed ids …01 to …10). */
export const SEED = {
  pragmatic: { id: '00000000-0000-0000-0000-000000000001', title: 'The Pragmatic Programmer' },
  cleanCode: { id: '00000000-0000-0000-0000-000000000002', title: 'Clean Code' },
  ddia: { id: '00000000-0000-0000-0000-000000000003', title: 'Designing Data-Intensive Applications', isbn: '978-1449373320', price: '$59.99' },
  ddd: { id: '00000000-0000-0000-0000-000000000004', title: 'Domain-Driven Design' },
  microservices: { id: '00000000-0000-0000-0000-000000000005', title: 'Microservices Patterns' },
  kubernetes: { id: '00000000-0000-0000-0000-000000000006', title: 'Kubernetes in Action' },
  spring: { id: '00000000-0000-0000-0000-000000000007', title: 'Spring in Action' },
  python: { id: '00000000-0000-0000-0000-000000000008', title: 'Learning Python' },
  sre: { id: '00000000-0000-0000-0000-000000000009', title: 'Site Reliability Engineering' },
  kafka: { id: '00000000-0000-0000-0000-000000000010', title: 'Kafka: The Definitive Guide' },
};

export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * A fresh context (no cookies, no storage) and page. Records every token the issuer hands out so
 * `assertNoTokensInStorage` can look for them, and collects page errors.
 */
export async function openPage(browser, { viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({ baseURL: BASE_URL, viewport });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const tokens = new Set();
  const refreshTokens = [];
  const pageErrors = [];
  const watch = (p) => {
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    p.on('response', async (res) => {
      if (!res.url().includes('/auth/token') || res.request().method() !== 'POST') return;
      try {
        const body = await res.json();
        for (const k of ['access_token', 'refresh_token', 'id_token']) if (typeof body[k] === 'string') tokens.add(body[k]);
        if (typeof body.refresh_token === 'string') refreshTokens.push(body.refresh_token);
      } catch {
        /* not JSON */
      }
    });
  };
  context.on('page', watch);
  watch(page);
  return { context, page, tokens, refreshTokens, pageErrors };
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/**
 * Client-side navigation, as a user moves around inside the SPA (a full page load signs in again silently
 * from the issuer's session, which costs a round trip).
 */
export async function spaNavigate(page, path) {
  await page.evaluate((p) => {
    window.history.pushState({ usr: null, key: 'e2e', idx: (window.history.state?.idx ?? 0) + 1 }, '', p);
    window.dispatchEvent(new PopStateEvent('popstate', { state: window.history.state }));
  }, path);
}

export const header = (page) => page.locator('header.site-header');

/**
 * Sign in through the issuer's login page, which the SPA opens in a pop-up (authorization code +
 * PKCE). Works with the built-in dev issuer's form and Keycloak's (username/password fields and a
 * submit button). `trigger` defaults to the header's "Sign in" button.
 */
export async function signIn(page, who, trigger) {
  const button = trigger ?? header(page).getByRole('button', { name: 'Sign in', exact: true });
  const [popup] = await Promise.all([page.waitForEvent('popup'), button.click()]);
  await popup.waitForLoadState('domcontentloaded');
  const username = popup.locator('input[name="username"], input#username, input[autocomplete="username"], input[type="email"]').first();
  await username.waitFor();
  await username.fill(who.username);
  await popup.locator('input[type="password"]').first().fill(who.password);
  const closed = popup.waitForEvent('close', { timeout: 30_000 });
  await popup.locator('button[type="submit"], input[type="submit"], form button:not([type="button"]):not([type="reset"])').first().click();
  await closed;
  await header(page).getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function signOut(page) {
  await header(page).getByRole('button', { name: 'Sign out' }).click();
  await header(page).getByRole('button', { name: 'Sign in', exact: true }).waitFor();
}

const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/;

/** The issue's rule: no token in localStorage, sessionStorage, cookies or IndexedDB, at any point. */
export async function assertNoTokensInStorage(page, tokens = new Set(), where = '') {
  const dump = await page.evaluate(async () => {
    const entries = [];
    for (const [name, s] of [
      ['localStorage', window.localStorage],
      ['sessionStorage', window.sessionStorage],
    ]) {
      for (let i = 0; i < s.length; i++) {
        const k = s.key(i);
        entries.push({ store: name, key: k, value: s.getItem(k) ?? '' });
      }
    }
    entries.push({ store: 'document.cookie', key: 'cookie', value: document.cookie });
    let idb = [];
    try {
      idb = (await indexedDB.databases()).map((d) => d.name);
    } catch {
      /* not supported */
    }
    return { entries, idb };
  });
  for (const e of dump.entries) {
    const label = `${where ? `${where}: ` : ''}${e.store}[${e.key}]`;
    assert.ok(!JWT.test(e.value), `${label} holds a JWT`);
    assert.ok(!/oidc|token/i.test(e.key ?? ''), `${label} looks auth-related`);
    for (const t of tokens) assert.ok(!e.value.includes(t), `${label} holds a token the issuer issued`);
  }
  assert.deepEqual(dump.idb, [], `${where}: IndexedDB databases exist: ${dump.idb.join(', ')}`);
}

/**
 * The browser's cookies hold no token either: the only cookie is the issuer's sign-in session, HttpOnly (out of
 * the page's reach) and scoped to /auth.
 */
export async function assertNoTokensInCookies(context, tokens = new Set(), where = '') {
  for (const cookie of await context.cookies()) {
    const label = `${where ? `${where}: ` : ''}cookie ${cookie.name}`;
    assert.ok(!JWT.test(cookie.value), `${label} holds a JWT`);
    for (const t of tokens) assert.ok(!cookie.value.includes(t), `${label} holds a token the issuer issued`);
    assert.equal(cookie.httpOnly, true, `${label} is readable by scripts`);
    assert.equal(cookie.path, '/auth', `${label} is sent beyond the issuer`);
  }
}

// ---------------------------------------------------------------- direct API calls (setup, checks)

/** Password grant (docs/API.md: the dev issuer allows it for scripts and tests). */
export async function passwordToken(who) {
  const res = await fetch(`${BASE_URL}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: 'ui-client', username: who.username, password: who.password, scope: 'openid profile email' }),
  });
  assert.equal(res.status, 200, `password grant for ${who.username}: ${res.status} ${await res.clone().text()}`);
  return (await res.json()).access_token;
}

/**
 * A tiny API client for setup and assertions (Bearer + CSRF on writes). CSRF tokens are single use: each write
 * spends the token the previous write's answer handed out (`X-CSRF-Token`), or a fresh one.
 */
export async function apiAs(who) {
  const token = await passwordToken(who);
  let csrf = null;
  const call = async (method, path, body, headers = {}) => {
    const h = { Authorization: `Bearer ${token}`, Accept: 'application/json', ...headers };
    if (method !== 'GET') {
      if (csrf === null) {
        const r = await fetch(`${BASE_URL}/csrf/token`, { headers: { Authorization: `Bearer ${token}` } });
        assert.equal(r.status, 200, `GET /csrf/token: ${r.status}`);
        csrf = (await r.json()).token;
      }
      h['X-CSRF-Token'] = csrf;
      csrf = null;
    }
    if (body !== undefined) h['Content-Type'] = 'application/json';
    const res = await fetch(`${BASE_URL}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    if (method !== 'GET') csrf = res.headers.get('x-csrf-token');
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  };
  return { token, call };
}

export async function clearCart(api) {
  const cart = await api.call('GET', '/ecom/cart');
  assert.equal(cart.status, 200);
  for (const item of cart.json) {
    const d = await api.call('DELETE', `/ecom/cart/${item.id}`);
    assert.equal(d.status, 204, `DELETE /ecom/cart/${item.id}`);
  }
}

/** Admin-creates a book with stock; returns its id (from the body, or the Location header). */
export async function createBook(admin, fields) {
  const res = await admin.call('POST', '/ecom/admin/books', {
    author: 'E2E Author',
    price: 12.5,
    description: 'Created by the end-to-end tests.',
    isbn: uniqueIsbn(),
    genre: 'E2E Testing',
    publishedYear: 2025,
    ...fields,
  });
  assert.equal(res.status, 201, `POST /ecom/admin/books: ${res.status} ${res.text}`);
  const id = res.json?.id ?? res.headers.get('location')?.split('/').pop();
  assert.ok(id, 'created book has an id');
  return id;
}

export async function stockOf(bookId) {
  const res = await fetch(`${BASE_URL}/inven/stock/${bookId}`);
  assert.equal(res.status, 200);
  return res.json();
}

/** Poll until fn returns truthy (or throw with the last error). */
export async function eventually(fn, { timeout = 30_000, interval = 500, message = 'condition' } = {}) {
  const start = Date.now();
  let last;
  while (Date.now() - start < timeout) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out waiting for ${message}${last ? `: ${last}` : ''}`);
}

/** The short reference the SPA shows for an order id (web/src/lib/format.ts `orderRef`). */
export const orderRefOf = (id) => `#${id.replace(/-/g, '').slice(-8).toUpperCase()}`;

/** Checkout through the API: the shopper's cart gets `quantity` of the book, then is ordered. Returns the order. */
export async function placeOrder(api, bookId, quantity = 1) {
  const add = await api.call('POST', '/ecom/cart', { bookId, quantity });
  assert.ok([200, 201].includes(add.status), `POST /ecom/cart: ${add.status} ${add.text}`);
  const res = await api.call('POST', '/ecom/checkout', undefined, { 'Idempotency-Key': `e2e-${RUN_ID}-${bookId}-${Math.random().toString(36).slice(2)}` });
  assert.equal(res.status, 201, `POST /ecom/checkout: ${res.status} ${res.text}`);
  return res.json;
}
