// Roles and sessions: a customer cannot open admin pages; after logout the API answers 401 and
// the refresh token is revoked; no token is in storage at any point.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BASE_URL, apiAs, assertNoTokensInStorage, header, launch, openPage, screenshot, signIn, signOut, spaNavigate, user } from '../lib.mjs';

describe('access control and logout', { timeout: 180_000 }, () => {
  const customer = user('user1');
  let browser;
  let page;
  let tokens;
  let refreshTokens;
  before(async () => {
    browser = await launch();
    ({ page, tokens, refreshTokens } = await openPage(browser));
  });
  after(async () => {
    await browser?.close();
  });

  it('a guest is asked to sign in on admin pages', async () => {
    await page.goto('/admin');
    await page.getByRole('heading', { name: 'Please sign in' }).waitFor();
    await assertNoTokensInStorage(page, tokens, 'guest');
  });

  it('a customer sees no admin link and gets "Access denied" on every admin page', async () => {
    await page.goto('/');
    await signIn(page, customer);
    await assertNoTokensInStorage(page, tokens, 'just signed in');
    assert.equal(await header(page).getByRole('link', { name: 'Admin' }).count(), 0);
    for (const path of ['/admin', '/admin/books', '/admin/books/new', '/admin/stock', '/admin/orders']) {
      await spaNavigate(page, path);
      await page.getByRole('heading', { level: 1, name: 'Access denied' }).waitFor();
    }
    await screenshot(page, 'access-denied');
  });

  it('the API refuses admin endpoints to a customer (403)', async () => {
    const api = await apiAs(customer);
    for (const path of ['/ecom/admin/books', '/ecom/admin/orders', '/inven/admin/stock', '/analytics/views/vw_sales_over_time']) {
      const r = await api.call('GET', path);
      assert.equal(r.status, 403, `${path} → ${r.status}`);
    }
  });

  it('after logout the API answers 401 and the refresh token no longer works', async () => {
    assert.ok(refreshTokens.length > 0, 'the issuer handed the SPA a refresh token (silent renew)');
    const latestRefresh = refreshTokens[refreshTokens.length - 1];
    // The SPA's own session works before logout.
    await header(page).getByRole('link', { name: 'My orders' }).click();
    await page.getByRole('heading', { level: 1, name: 'My orders' }).waitFor();

    await signOut(page);
    await assertNoTokensInStorage(page, tokens, 'after logout');
    // The app holds no token any more: its API calls are anonymous and answered 401.
    const status = await page.evaluate(async () => (await fetch('/ecom/cart', { headers: { Accept: 'application/json' } })).status);
    assert.equal(status, 401);
    await spaNavigate(page, '/orders');
    await page.getByRole('heading', { name: 'Please sign in' }).waitFor();
    // The issuer revoked the session's refresh token (the dev issuer's POST /auth/logout).
    const r = await fetch(`${BASE_URL}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'ui-client', refresh_token: latestRefresh }),
    });
    assert.notEqual(r.status, 200, 'the refresh token is refused after logout');
  });

  it('no token in storage at the end either', async () => {
    await assertNoTokensInStorage(page, tokens, 'end');
  });
});
