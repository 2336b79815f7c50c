// Checkout: the order shows in "my orders", and the stock badge drops.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RUN_ID, apiAs, assertNoTokensInStorage, clearCart, createBook, header, launch, openPage, screenshot, signIn, spaNavigate, stockOf, user } from '../lib.mjs';

describe('checkout, my orders and the stock badge', { timeout: 180_000 }, () => {
  const shopper = user('user1');
  const title = `E2E Checkout Book ${RUN_ID}`;
  let browser;
  let page;
  let tokens;
  let bookId;
  let orderRef;
  before(async () => {
    const admin = await apiAs(user('admin1'));
    // 6 in stock shows "In Stock"; buying 2 leaves 4, which shows "Only 4 left".
    bookId = await createBook(admin, { title, price: 12.5, initialStock: 6 });
    await clearCart(await apiAs(shopper));
    browser = await launch();
    ({ page, tokens } = await openPage(browser));
  });
  after(async () => {
    await browser?.close();
  });

  it('a signed-in shopper adds 2 copies of a book that is In Stock', async () => {
    await page.goto('/');
    await signIn(page, shopper);
    await spaNavigate(page, `/books/${bookId}`);
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    assert.equal(await page.getByTestId('stock-badge').innerText(), 'In Stock');
    await page.getByLabel('Quantity', { exact: true }).fill('2');
    await page.getByRole('button', { name: `Add ${title} to cart` }).click();
    await header(page).getByRole('link', { name: 'Cart, 2 items' }).waitFor();
  });

  it('placing the order shows the confirmation', async () => {
    await header(page).getByRole('link', { name: /^Cart/ }).click();
    await page.getByTestId('cart-line').filter({ hasText: title }).waitFor();
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.waitForURL(/\/order-confirmation\?id=/);
    await page.getByRole('heading', { name: /your order is confirmed/i }).waitFor();
    const text = await page.locator('main').innerText();
    assert.ok(text.includes(title), 'confirmation lists the book by title');
    assert.ok(text.includes('$25.00'), 'total 2 × $12.50');
    orderRef = (await page.locator('.confirmation strong').first().innerText()).trim();
    assert.match(orderRef, /^#[0-9A-F]{8}$/);
    await header(page).getByRole('link', { name: 'Cart, 0 items' }).waitFor();
    await screenshot(page, 'order-confirmation');
  });

  it('the order is in "my orders", newest first, and its detail lists the book', async () => {
    await header(page).getByRole('link', { name: 'My orders' }).click();
    await page.waitForURL(/\/orders$/);
    const first = page.getByTestId('order-row').first();
    await first.waitFor();
    const row = await first.innerText();
    assert.ok(row.includes(`Order ${orderRef}`), `newest order is ${orderRef}: ${row}`);
    assert.ok(row.includes('$25.00'));
    await screenshot(page, 'my-orders');
    await first.getByRole('link', { name: `Order ${orderRef}` }).click();
    await page.getByRole('heading', { level: 1, name: `Order ${orderRef}` }).waitFor();
    await page.getByRole('cell', { name: title }).waitFor();
  });

  it('the stock badge drops (6 → Only 4 left) and stock was decremented exactly once', async () => {
    await spaNavigate(page, `/books/${bookId}`);
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    await page.getByTestId('stock-badge').filter({ hasText: 'Only 4 left' }).waitFor();
    const stock = await stockOf(bookId);
    assert.equal(stock.available, 4);
    assert.equal(stock.quantity, 4);
    assert.equal(stock.reserved, 0);
    await screenshot(page, 'stock-badge-after-order');
  });

  it('no token was ever stored', async () => {
    await assertNoTokensInStorage(page, tokens, 'after checkout');
  });
});
