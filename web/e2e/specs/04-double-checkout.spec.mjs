// A double-clicked checkout makes one order: one Idempotency-Key per attempt, and the server
// answers a repeated key with the same order.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RUN_ID, apiAs, assertNoTokensInStorage, clearCart, createBook, header, launch, openPage, signIn, spaNavigate, stockOf, user } from '../lib.mjs';

describe('double-clicked checkout', { timeout: 180_000 }, () => {
  const shopper = user('user3');
  const title = `E2E Double Click Book ${RUN_ID}`;
  let browser;
  let page;
  let tokens;
  let api;
  let bookId;
  const checkoutRequests = [];

  const orderCount = async () => {
    const r = await api.call('GET', '/ecom/orders?page=0&size=100');
    assert.equal(r.status, 200);
    return r.json.totalElements;
  };

  const addToCartAndOpenCart = async () => {
    await spaNavigate(page, `/books/${bookId}`);
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    await page.getByRole('button', { name: `Add ${title} to cart` }).click();
    await header(page).getByRole('link', { name: 'Cart, 1 item' }).waitFor();
    await header(page).getByRole('link', { name: /^Cart/ }).click();
    await page.getByRole('button', { name: 'Place order' }).waitFor();
  };

  before(async () => {
    bookId = await createBook(await apiAs(user('admin1')), { title, price: 20, initialStock: 10 });
    api = await apiAs(shopper);
    await clearCart(api);
    browser = await launch();
    ({ page, tokens } = await openPage(browser));
    page.on('request', (req) => {
      if (req.method() === 'POST' && new URL(req.url()).pathname === '/ecom/checkout') checkoutRequests.push(req.headers()['idempotency-key']);
    });
    await page.goto('/');
    await signIn(page, shopper);
  });
  after(async () => {
    await browser?.close();
  });

  it('dblclick on "Place order" creates exactly one order', async () => {
    const before = await orderCount();
    await addToCartAndOpenCart();
    checkoutRequests.length = 0;
    await page.getByRole('button', { name: 'Place order' }).dblclick();
    await page.getByRole('heading', { name: /your order is confirmed/i }).waitFor();
    await page.waitForTimeout(1000); // let a stray second request land, if the UI sent one
    assert.ok(checkoutRequests.length >= 1);
    assert.ok(checkoutRequests.every((k) => k && k === checkoutRequests[0]), `one key: ${checkoutRequests.join(', ')}`);
    assert.equal(await orderCount(), before + 1);
    assert.equal((await stockOf(bookId)).available, 9);
  });

  it('two clicks in the same event-loop turn (before React re-renders) still create one order', async () => {
    const before = await orderCount();
    await addToCartAndOpenCart();
    checkoutRequests.length = 0;
    await page.evaluate(() => {
      const b = [...document.querySelectorAll('button')].find((x) => x.textContent === 'Place order');
      b.click();
      b.click();
    });
    await page.getByRole('heading', { name: /your order is confirmed/i }).waitFor();
    await page.waitForTimeout(1000);
    assert.equal(checkoutRequests.length, 1, 'the second click joined the request in flight');
    assert.equal(await orderCount(), before + 1);
    assert.equal((await stockOf(bookId)).available, 8);
  });

  it('the server answers a repeated Idempotency-Key with the same order and no side effect', async () => {
    const key = `e2e-${RUN_ID}-replay`;
    const add = await api.call('POST', '/ecom/cart', { bookId, quantity: 1 });
    assert.ok([200, 201].includes(add.status), `add: ${add.status}`);
    const first = await api.call('POST', '/ecom/checkout', undefined, { 'Idempotency-Key': key });
    assert.equal(first.status, 201, first.text);
    const count = await orderCount();
    const again = await api.call('POST', '/ecom/checkout', undefined, { 'Idempotency-Key': key });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.id, first.json.id);
    assert.equal(await orderCount(), count);
    assert.equal((await stockOf(bookId)).available, 7);
  });

  it('no token was ever stored', async () => {
    await assertNoTokensInStorage(page, tokens, 'double checkout');
  });
});
