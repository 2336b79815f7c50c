// A shopper has their order page open; an admin ships it (through the API, as another person would from the
// console): the page shows Shipped and the carrier without a reload, from the order's event stream
// (GET /ecom/orders/{id}/events, fetch with the bearer token). Delivery follows the same way. After a silent
// renew the stream follows with the new token.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RUN_ID, apiAs, assertNoTokensInStorage, clearCart, createBook, launch, openPage, orderRefOf, placeOrder, screenshot, signIn, spaNavigate, user } from '../lib.mjs';

const carrier = `E2E Parcel ${RUN_ID}`;
const trackingNumber = `TRK-${RUN_ID}`;

describe('the order page follows the order live', { timeout: 240_000 }, () => {
  const shopper = user('user3');
  const title = `E2E Live Book ${RUN_ID}`;
  let admin;
  let shopperApi;
  let browser;
  let page;
  let tokens;
  let bookId;
  let order;
  const streams = [];

  before(async () => {
    admin = await apiAs(user('admin1'));
    bookId = await createBook(admin, { title, price: 15, initialStock: 10 });
    shopperApi = await apiAs(shopper);
    await clearCart(shopperApi);
    order = await placeOrder(shopperApi, bookId, 2);
    browser = await launch();
    ({ page, tokens } = await openPage(browser));
    page.on('request', (req) => {
      if (new URL(req.url()).pathname === `/ecom/orders/${order.id}/events`) streams.push(req.headers());
    });
  });
  after(async () => {
    await browser?.close();
  });

  const status = () => page.getByTestId('order-status');

  it('the shopper opens the order: Confirmed, and the page is live', async () => {
    await page.goto('/');
    await signIn(page, shopper);
    await spaNavigate(page, `/orders/${order.id}`);
    await page.getByRole('heading', { level: 1, name: `Order ${orderRefOf(order.id)}` }).waitFor();
    assert.equal(await status().getAttribute('data-status'), 'CONFIRMED');
    await page.locator('[data-testid="live-status"][data-status="live"]').waitFor();
    assert.equal(await page.getByTestId('order-carrier').count(), 0, 'no carrier before shipping');
    assert.ok(streams.length >= 1, 'the page opened the order’s event stream');
    assert.match(streams[0].authorization ?? '', /^Bearer ey/, 'the stream is authorized by the bearer token');
    assert.equal(streams[0].accept, 'text/event-stream');
    // Marks this document: a reload or a full navigation would lose it.
    await page.evaluate(() => {
      window.__e2eSameDocument = true;
    });
  });

  it('an admin ships it with a carrier: the page shows Shipped and the carrier without a reload', async () => {
    const before = Date.now();
    const res = await admin.call('POST', `/ecom/admin/orders/${order.id}/ship`, { carrier, trackingNumber });
    assert.equal(res.status, 200, `ship: ${res.status} ${res.text}`);
    await page.locator('[data-testid="order-status"][data-status="SHIPPED"]').waitFor({ timeout: 15_000 });
    await page.getByTestId('order-carrier').filter({ hasText: carrier }).waitFor();
    assert.equal(await page.getByTestId('order-tracking').innerText(), trackingNumber);
    console.log(`# the shipment showed on the open page after ${((Date.now() - before) / 1000).toFixed(1)} s`);
    const shipped = page.getByRole('list', { name: 'Order timeline' }).getByRole('listitem').filter({ hasText: 'Shipped' });
    await shipped.filter({ hasText: 'by the shop' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel order', exact: true }).count(), 0, 'a shipped order cannot be cancelled');
    assert.equal(await page.evaluate(() => window.__e2eSameDocument), true, 'the page was not reloaded');
    await screenshot(page, 'order-shipped-live');
  });

  it('delivery shows the same way', async () => {
    const res = await admin.call('POST', `/ecom/admin/orders/${order.id}/deliver`);
    assert.equal(res.status, 200);
    await page.locator('[data-testid="order-status"][data-status="DELIVERED"]').waitFor({ timeout: 15_000 });
    const entries = page.getByRole('list', { name: 'Order timeline' }).getByRole('listitem');
    await entries.filter({ hasText: 'Delivered' }).waitFor();
    assert.deepEqual(await entries.evaluateAll((li) => li.map((e) => e.dataset.status)), ['CONFIRMED', 'SHIPPED', 'DELIVERED']);
    assert.equal(await page.evaluate(() => window.__e2eSameDocument), true, 'the page was not reloaded');
  });

  it('no token was ever stored', async () => {
    await assertNoTokensInStorage(page, tokens, 'live order page');
  });
});

describe('after a silent renew the order stream follows with the new token', { timeout: 180_000 }, () => {
  const shopper = user('user3');
  let browser;
  let admin;
  let order;

  before(async () => {
    admin = await apiAs(user('admin1'));
    const shopperApi = await apiAs(shopper);
    await clearCart(shopperApi);
    order = await placeOrder(shopperApi, (await createBook(admin, { title: `E2E Renew Book ${RUN_ID}`, initialStock: 3 })), 1);
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('the renewed access token opens a new stream, which carries the next move', async () => {
    const { page, context, tokens } = await openPage(browser);
    const renewed = [];
    context.on('response', async (res) => {
      if (!res.url().includes('/auth/token') || res.request().method() !== 'POST') return;
      if (new URLSearchParams(res.request().postData() ?? '').get('grant_type') !== 'refresh_token') return;
      try {
        renewed.push((await res.json()).access_token);
      } catch {
        /* not JSON */
      }
    });
    const streams = [];
    page.on('request', (req) => {
      if (new URL(req.url()).pathname === `/ecom/orders/${order.id}/events`) streams.push(req.headers().authorization);
    });
    // The page's clock is moved to just before the access token expires (see 08-silent-renew).
    await page.clock.install();
    await page.goto('/');
    await signIn(page, shopper);
    await spaNavigate(page, `/orders/${order.id}`);
    await page.locator('[data-testid="live-status"][data-status="live"]').waitFor();
    const first = streams.at(-1);
    await page.waitForTimeout(1500); // the issuer's clock is real: let it move on
    await page.clock.fastForward('14:10');
    for (let i = 0; i < 40 && renewed.length === 0; i++) await page.waitForTimeout(250);
    assert.equal(renewed.length, 1, 'the SPA renewed its access token');
    for (let i = 0; i < 40 && streams.at(-1) !== `Bearer ${renewed[0]}`; i++) await page.waitForTimeout(250);
    assert.equal(streams.at(-1), `Bearer ${renewed[0]}`, 'the stream was opened again with the renewed token');
    assert.notEqual(first, streams.at(-1));
    await page.locator('[data-testid="live-status"][data-status="live"]').waitFor();
    const res = await admin.call('POST', `/ecom/admin/orders/${order.id}/cancel`, { reason: 'Out of print' });
    assert.equal(res.status, 200);
    await page.locator('[data-testid="order-status"][data-status="CANCELLED"]').waitFor({ timeout: 15_000 });
    const last = page.getByRole('list', { name: 'Order timeline' }).getByRole('listitem').last();
    await last.filter({ hasText: 'Reason: Out of print' }).waitFor();
    assert.match(await last.innerText(), /by the shop/);
    await assertNoTokensInStorage(page, tokens, 'after renew');
  });
});
