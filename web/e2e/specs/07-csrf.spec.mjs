// CSRF: every write the SPA sends carries X-CSRF-Token from GET /csrf/token; a 403 (stale token)
// makes it fetch a fresh token once and retry once; the server refuses writes without the header.
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

  it('the server refuses a write without X-CSRF-Token (403) and with a made-up one (403)', async (t) => {
    if (!serverHasCsrf) return t.skip('this server has no GET /csrf/token');
    const bearer = { Authorization: `Bearer ${api.token}`, 'Content-Type': 'application/json' };
    const body = JSON.stringify({ bookId: SEED.python.id, quantity: 1 });
    const none = await fetch(`${BASE_URL}/ecom/cart`, { method: 'POST', headers: bearer, body });
    assert.equal(none.status, 403, `no header: ${none.status}`);
    const forged = await fetch(`${BASE_URL}/ecom/cart`, { method: 'POST', headers: { ...bearer, 'X-CSRF-Token': 'made-up' }, body });
    assert.equal(forged.status, 403, `made-up token: ${forged.status}`);
    assert.equal((await api.call('GET', '/ecom/cart')).json.length, 0, 'nothing was added');
  });

  it('the SPA sends the token on every write, and on a 403 fetches a fresh one once and retries once', async (t) => {
    if (!serverHasCsrf) return t.skip('this server has no GET /csrf/token');
    const writes = [];
    page.on('request', (req) => {
      if (isApiWrite(req)) writes.push({ method: req.method(), path: new URL(req.url()).pathname, csrf: req.headers()['x-csrf-token'] });
    });
    const responses = [];
    page.on('response', (res) => {
      if (isApiWrite(res.request())) responses.push(res.status());
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
    assert.equal(csrfFetches, 2, 'one stale token, then exactly one refresh');
    assert.deepEqual(
      writes.map((w) => `${w.method} ${w.path} ${w.csrf === 'stale-e2e-token' ? 'stale' : w.csrf ? 'fresh' : 'none'}`),
      ['POST /ecom/cart stale', 'POST /ecom/cart fresh'],
    );
    assert.deepEqual(responses, [403, 201]);

    // Later writes reuse the fresh token: no further CSRF fetch, no 403.
    await header(page).getByRole('link', { name: /^Cart/ }).click();
    await page.getByRole('button', { name: `Increase quantity of ${SEED.python.title}` }).click();
    await page.waitForFunction((t) => document.querySelector(`input[aria-label="Quantity of ${t}"]`)?.value === '2', SEED.python.title);
    await page.getByRole('button', { name: `Remove ${SEED.python.title} from cart` }).click();
    await page.getByRole('heading', { name: 'Your cart is empty' }).waitFor();
    assert.equal(csrfFetches, 2);
    assert.ok(writes.length === 4 && writes.every((w) => w.csrf), `every write carried a token: ${JSON.stringify(writes)}`);
    assert.deepEqual(responses, [403, 201, 200, 204]);
    await assertNoTokensInStorage(page, tokens, 'csrf');
    const csrfInStorage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.ok(!/csrf/i.test(csrfInStorage), 'the CSRF token is kept in memory too');
  });
});
