// Sessions: tokens stay in memory only, yet a signed-in shopper who reloads, opens a second tab or comes back
// later is still signed in: the issuer keeps a sign-in session (an HttpOnly cookie scoped to /auth) and the SPA
// signs in silently against it on start (prompt=none in a hidden frame). Signing out ends that session and every
// open tab follows (BroadcastChannel). Where a pop-up is blocked, signing in goes by redirect.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoTokensInCookies, assertNoTokensInStorage, header, launch, openPage, signIn, signOut, user } from '../lib.mjs';

const signedIn = (page) => header(page).getByRole('button', { name: 'Sign out' });
const signedOut = (page) => header(page).getByRole('button', { name: 'Sign in', exact: true });

/** Waits until the page has settled as signed out: the Sign in button is there and enabled (the silent try is over). */
async function settledSignedOut(page) {
  await signedOut(page).waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('header button')].some((b) => b.textContent === 'Sign in' && !b.disabled));
  assert.equal(await signedIn(page).count(), 0);
}

describe('sessions survive reloads and new tabs; signing out ends them everywhere', { timeout: 180_000 }, () => {
  const shopper = user('user3');
  let browser;
  let context;
  let page;
  let second;
  let tokens;
  let popups = 0;
  before(async () => {
    browser = await launch();
    ({ context, page, tokens } = await openPage(browser));
    context.on('page', () => (popups += 1));
  });
  after(async () => {
    await browser?.close();
  });

  it('after signing in, a reload and a second tab are signed in without a click, and no token is in any storage', async () => {
    await page.goto('/');
    await settledSignedOut(page);
    await signIn(page, shopper);
    const afterSignIn = popups;
    await assertNoTokensInStorage(page, tokens, 'after sign-in');
    await assertNoTokensInCookies(context, tokens, 'after sign-in');
    const cookies = await context.cookies();
    assert.equal(cookies.length, 1, `one cookie, the issuer's sign-in session: ${JSON.stringify(cookies)}`);

    await page.reload();
    await signedIn(page).waitFor();
    assert.equal(await header(page).getByText(shopper.username).count() > 0, true, 'signed in as the same shopper');

    second = await context.newPage();
    await second.goto('/cart');
    await signedIn(second).waitFor();
    await second.getByRole('heading', { level: 1, name: 'Your cart' }).waitFor();
    assert.equal(await second.getByRole('heading', { name: 'Please sign in' }).count(), 0);
    assert.equal(popups, afterSignIn + 1, 'no sign-in window opened: only the second tab');
    for (const [p, where] of [[page, 'reloaded tab'], [second, 'second tab']]) await assertNoTokensInStorage(p, tokens, where);
    await assertNoTokensInCookies(context, tokens, 'two tabs');
  });

  it('signing out in one tab signs the other out too, and a reload stays signed out', async () => {
    await signOut(page);
    await signedOut(second).waitFor({ timeout: 5000 });
    await second.reload();
    await settledSignedOut(second);
    await page.reload();
    await settledSignedOut(page);
  });

  it('where the browser blocks the pop-up, signing in goes by redirect and comes back to the page it started on', async () => {
    const blocked = await openPage(browser);
    await blocked.context.addInitScript(() => {
      window.open = () => null;
    });
    const p = blocked.page;
    await p.goto('/search?q=kafka');
    await settledSignedOut(p);
    await signedOut(p).click();
    await p.waitForURL(/\/auth\/authorize/);
    await p.locator('input[name="username"]').fill(shopper.username);
    await p.locator('input[type="password"]').fill(shopper.password);
    await p.locator('button[type="submit"]').click();
    await p.waitForURL((url) => url.pathname === '/search' && url.searchParams.get('q') === 'kafka');
    await signedIn(p).waitFor();
    await assertNoTokensInStorage(p, blocked.tokens, 'after a redirect sign-in');
    await assertNoTokensInCookies(blocked.context, blocked.tokens, 'after a redirect sign-in');
    const pending = await p.evaluate(() => Object.keys(sessionStorage));
    assert.deepEqual(pending, [], 'the redirect\'s state is gone once it came back');
    await p.reload();
    await signedIn(p).waitFor();
  });
});
