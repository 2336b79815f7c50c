// Silent renew: shortly before the 15-minute access token expires, the SPA trades its refresh token
// for new tokens (refresh_token grant, rotated) and the session goes on. The page's clock is moved
// forward with playwright's fake timers; the issuer's clock is real, so a real second is let pass
// first (as a real renew happens minutes after sign-in).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoTokensInStorage, header, launch, openPage, signIn, spaNavigate, user } from '../lib.mjs';

// oidc-client-ts checks that a refreshed ID token keeps the original `auth_time` (OIDC Core 12.2); the dev
// issuer does, so the renewal must succeed.

describe('silent renew keeps the session going', { timeout: 120_000 }, () => {
  const shopper = user('user1');
  let browser;
  let page;
  let context;
  let tokens;
  before(async () => {
    browser = await launch();
    ({ page, context, tokens } = await openPage(browser));
  });
  after(async () => {
    await browser?.close();
  });

  it('at ~14 minutes the refresh token is exchanged and API calls use the new access token', async () => {
    const grants = [];
    context.on('response', async (res) => {
      if (!res.url().includes('/auth/token') || res.request().method() !== 'POST') return;
      const grant = new URLSearchParams(res.request().postData() ?? '').get('grant_type');
      let access = null;
      try {
        access = (await res.json()).access_token ?? null;
      } catch {
        /* not JSON */
      }
      grants.push({ grant, status: res.status(), access });
    });
    await page.clock.install();
    await page.goto('/');
    await signIn(page, shopper);
    // The response handler reads the body asynchronously: wait for it to have recorded the exchange.
    for (let i = 0; i < 40 && grants.length === 0; i++) await page.waitForTimeout(50);
    assert.deepEqual(grants.map((g) => g.grant), ['authorization_code']);
    await page.waitForTimeout(1500); // let the issuer's clock move on too

    await page.clock.fastForward('14:10'); // the token expires at 15:00; renew starts 60 s before
    const renewed = await (async () => {
      for (let i = 0; i < 40 && !grants.some((g) => g.grant === 'refresh_token'); i++) await page.waitForTimeout(250);
      return grants.find((g) => g.grant === 'refresh_token');
    })();
    assert.ok(renewed, 'the SPA used its refresh token');
    assert.equal(renewed.status, 200);
    await page.waitForTimeout(500);
    const expired = await page.getByText(/session has expired/i).count();
    assert.equal(expired, 0, 'the SPA accepted the renewed tokens (no "session has expired")');
    await header(page).getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 2000 });

    const seen = [];
    page.on('request', (req) => {
      if (new URL(req.url()).pathname.startsWith('/ecom/orders')) seen.push(req.headers().authorization);
    });
    await spaNavigate(page, '/orders');
    await page.getByRole('heading', { level: 1, name: 'My orders' }).waitFor();
    await page.getByText(/No orders yet|Order #/).first().waitFor();
    assert.ok(seen.length > 0 && seen.every((h) => h === `Bearer ${renewed.access}`), 'orders were fetched with the renewed access token');
    await assertNoTokensInStorage(page, tokens, 'after silent renew');
  });
});
