// Guest cart in localStorage, then sign-in merges it into the server cart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SEED, apiAs, assertNoTokensInStorage, clearCart, header, launch, openPage, screenshot, signIn, user } from '../lib.mjs';

describe('guest cart then login merges it', { timeout: 180_000 }, () => {
  const shopper = user('user2');
  let browser;
  let page;
  let tokens;
  let api;
  before(async () => {
    browser = await launch();
    ({ page, tokens } = await openPage(browser));
    // The server cart already holds one Clean Code: the merge must add up, not overwrite.
    api = await apiAs(shopper);
    await clearCart(api);
    const add = await api.call('POST', '/ecom/cart', { bookId: SEED.cleanCode.id, quantity: 1 });
    assert.ok(add.status === 200 || add.status === 201, `seed server cart: ${add.status} ${add.text}`);
  });
  after(async () => {
    await browser?.close();
  });

  it('a guest adds books; the cart lives in localStorage', async () => {
    await page.goto('/?size=100');
    await page.getByRole('button', { name: `Add ${SEED.cleanCode.title} to cart` }).click();
    await page.getByRole('link', { name: SEED.ddia.title, exact: true }).click();
    await page.getByLabel('Quantity', { exact: true }).fill('2');
    await page.getByRole('button', { name: `Add ${SEED.ddia.title} to cart` }).click();
    await header(page).getByRole('link', { name: 'Cart, 3 items' }).waitFor();
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('bookstore.guestCart.v1') ?? '[]'));
    assert.deepEqual(stored.map((l) => [l.bookId, l.quantity]).sort(), [
      [SEED.cleanCode.id, 1],
      [SEED.ddia.id, 2],
    ]);
    await header(page).getByRole('link', { name: /^Cart/ }).click();
    await page.getByText('You are browsing as a guest').waitFor();
    assert.equal(await page.getByTestId('cart-line').count(), 2);
    await assertNoTokensInStorage(page, tokens, 'guest cart');
    await screenshot(page, 'cart-guest');
  });

  it('signing in merges the guest cart into the server cart (quantities add up)', async () => {
    await signIn(page, shopper, page.getByRole('button', { name: 'Sign in to check out' }));
    await page.getByText('Items from your guest cart were added to your cart.').waitFor();
    await page.getByRole('button', { name: 'Place order' }).waitFor();
    const qty = (title) => page.getByRole('textbox', { name: `Quantity of ${title}` });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="cart-line"]').length === 2);
    assert.equal(await qty(SEED.cleanCode.title).inputValue(), '2');
    assert.equal(await qty(SEED.ddia.title).inputValue(), '2');
    await header(page).getByRole('link', { name: 'Cart, 4 items' }).waitFor();
    // The guest copy is gone once merged.
    assert.equal(await page.evaluate(() => localStorage.getItem('bookstore.guestCart.v1')), null);
    const server = await api.call('GET', '/ecom/cart');
    assert.deepEqual(server.json.map((i) => [i.bookId, i.quantity]).sort(), [
      [SEED.cleanCode.id, 2],
      [SEED.ddia.id, 2],
    ]);
    await screenshot(page, 'cart');
  });

  it('quantity controls update the server cart', async () => {
    await page.getByRole('button', { name: `Increase quantity of ${SEED.ddia.title}` }).click();
    await page.waitForFunction((t) => document.querySelector(`input[aria-label="Quantity of ${t}"]`)?.value === '3', SEED.ddia.title);
    await page.getByRole('button', { name: `Remove ${SEED.cleanCode.title} from cart` }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="cart-line"]').length === 1);
    const server = await api.call('GET', '/ecom/cart');
    assert.deepEqual(server.json.map((i) => [i.bookId, i.quantity]), [[SEED.ddia.id, 3]]);
    await assertNoTokensInStorage(page, tokens, 'signed-in cart');
    assert.ok(tokens.size > 0, 'the issuer handed out tokens (and none is stored)');
    await clearCart(api);
  });
});
