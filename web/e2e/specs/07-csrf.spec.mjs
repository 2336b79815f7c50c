// CSRF: tokens are single use. Every write the SPA sends carries X-CSRF-Token: the one the previous
// write's answer handed out, or (holding none) one from GET /csrf/token. A 403 (stale or spent token)
// hands out a fresh token in its problem body: the SPA retries once with it, without another request.
// The server refuses writes without the header, with a made-up token and with a spent one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BASE_URL, SEED, apiAs, assertNoTokensInStorage, clearCart, header, launch, openPage, passwordToken, signIn, user } from '../lib.mjs';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const isApiWrite = (req) => WRITES.has(req.method()) && /^\/(ecom|inven|analytics)\//.test(new URL(req.url()).pathname);

describe('CSRF tokens on writes', { timeout: 120_000 }, () => {
  const shopper = user('user2');
  let serverHasCsrf = true;
  let browser;
  let page;
  let tokens;
  let api;
  before(async () => {
    const probe = await fetch(`${BASE_URL}/csrf/token`, { headers: { Authorization: `Bearer ${await passwordToken(shopper)}` } });
    serverHasCsrf = probe.status !== 404;
    api = await apiAs(shopper);
    await clearCart(api);
    browser = await launch();
    ({ page, tokens } = await openPage(browser));
  });
  after(async () => {
    await browser?.close();
    if (api) await clearCart(api);
  });

  it('the server refuses a write without X-CSRF-Token, with a made-up one and with a spent one (403)', async (t) => {
    if (!serverHasCsrf) return t.skip('this server has no GET /csrf/token');
    const bearer = { Authorization: `Bearer ${api.token}`, 'Content-Type': 'application/json' };
    const body = JSON.stringify({ bookId: SEED.python.id, quantity: 1 });
    const none = await fetch(`${BASE_URL}/ecom/cart`, { method: 'POST', headers: bearer, body });
    assert.equal(none.status, 403, `no header: ${none.status}`);
    const forged = await fetch(`${BASE_URL}/ecom/cart`, { method: 'POST', headers: { ...bearer, 'X-CSRF-Token': 'made-up' }, body });
    assert.equal(forged.status, 403, `made-up token: ${forged.status}`);
    const handed = (await forged.json()).token;
    assert.ok(typeof handed === 'string' && handed.length > 20, 'the refusal hands out a fresh token');
    const first = await fetch(`${BASE_URL}/ecom/cart`, { method: 'POST', headers: { ...bearer, 'X-CSRF-Token': handed }, body });
    assert.equal(first.status, 201, `the handed-out token works: ${first.status}`);
    const again = await fetch(`${BASE_URL}/ecom/cart`, { method: 'POST', headers: { ...bearer, 'X-CSRF-Token': handed }, body });
    assert.equal(again.status, 403, `a spent token: ${again.status}`);
    const cart = (await api.call('GET', '/ecom/cart')).json;
    assert.deepEqual(cart.map((i) => i.quantity), [1], 'only the write with a valid token changed the cart');
    await clearCart(api);
  });

  it('the SPA spends each token once, follows the tokens the answers hand out, and retries a 403 once with the token it hands out', async (t) => {
    if (!serverHasCsrf) return t.skip('this server has no GET /csrf/token');
    const writes = [];
    page.on('request', (req) => {
      if (isApiWrite(req)) writes.push({ method: req.method(), path: new URL(req.url()).pathname, csrf: req.headers()['x-csrf-token'] });
    });
    const responses = [];
    page.on('response', (res) => {
      if (isApiWrite(res.request())) responses.push({ status: res.status(), next: res.headers()['x-csrf-token'] });
    });
    // The SPA's first CSRF token is a stale one (as after a server restart or expiry).
    let csrfFetches = 0;
    await page.route('**/csrf/token', async (route) => {
      csrfFetches += 1;
      if (csrfFetches === 1) await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ token: 'stale-e2e-token' }) });
      else await route.continue();
    });

    await page.goto('/?size=100');
    await signIn(page, shopper);
    await page.getByRole('button', { name: `Add ${SEED.python.title} to cart` }).click();
    await header(page).getByRole('link', { name: 'Cart, 1 item' }).waitFor();
    await header(page).getByRole('link', { name: /^Cart/ }).click();
    await page.getByRole('button', { name: `Increase quantity of ${SEED.python.title}` }).click();
    await page.waitForFunction((t) => document.querySelector(`input[aria-label="Quantity of ${t}"]`)?.value === '2', SEED.python.title);
    await page.getByRole('button', { name: `Remove ${SEED.python.title} from cart` }).click();
    await page.getByRole('heading', { name: 'Your cart is empty' }).waitFor();

    assert.equal(csrfFetches, 1, 'one token asked for; every later one came with an answer');
    assert.deepEqual(
      writes.map((w) => `${w.method} ${w.path.replace(/[0-9a-f-]{36}$/, '{id}')}`),
      ['POST /ecom/cart', 'POST /ecom/cart', 'PUT /ecom/cart/{id}', 'DELETE /ecom/cart/{id}'],
    );
    assert.deepEqual(responses.map((r) => r.status), [403, 201, 200, 204]);
    assert.equal(writes[0].csrf, 'stale-e2e-token');
    // Each write spent the token the answer before it handed out, and no token was sent twice.
    for (let i = 1; i < writes.length; i++) assert.equal(writes[i].csrf, responses[i - 1].next, `write ${i} spends the token answer ${i - 1} handed out`);
    assert.equal(new Set(writes.map((w) => w.csrf)).size, writes.length, 'no token was sent twice');
    await assertNoTokensInStorage(page, tokens, 'csrf');
    const csrfInStorage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.ok(!/csrf/i.test(csrfInStorage), 'the CSRF token is kept in memory too');
  });
});
