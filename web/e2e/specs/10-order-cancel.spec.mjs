// A shopper cancels an order on its page: asked first, with an optional reason; the timeline shows CANCELLED and
// the book's stock badge is back where it was. "My orders" filters by status. A cancel the order no longer allows
// (it was shipped meanwhile, and this page missed it) shows the server's words.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RUN_ID, apiAs, assertNoTokensInStorage, clearCart, createBook, header, launch, openPage, orderRefOf, placeOrder, screenshot, signIn, spaNavigate, stockOf, user } from '../lib.mjs';

describe('a shopper cancels an order on its page', { timeout: 240_000 }, () => {
  const shopper = user('user2');
  const title = `E2E Cancel Book ${RUN_ID}`;
  const reason = 'Ordered the wrong edition';
  let admin;
  let browser;
  let page;
  let tokens;
  let bookId;
  let orderId;
  let ref;

  before(async () => {
    admin = await apiAs(user('admin1'));
    // 4 available shows "Only 4 left"; one bought shows "Only 3 left": the badge tells the counts apart.
    bookId = await createBook(admin, { title, price: 9.75, initialStock: 4 });
    await clearCart(await apiAs(shopper));
    browser = await launch();
    ({ page, tokens } = await openPage(browser));
  });
  after(async () => {
    await browser?.close();
  });

  const status = () => page.getByTestId('order-status');
  const timeline = () => page.getByRole('list', { name: 'Order timeline' });

  it('the shopper buys one copy: the badge goes from "Only 4 left" to "Only 3 left"', async () => {
    await page.goto('/');
    await signIn(page, shopper);
    await spaNavigate(page, `/books/${bookId}`);
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    await page.getByTestId('stock-badge').filter({ hasText: 'Only 4 left' }).waitFor();
    await page.getByRole('button', { name: `Add ${title} to cart` }).click();
    await header(page).getByRole('link', { name: 'Cart, 1 item' }).click();
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.waitForURL(/\/order-confirmation\?id=/);
    orderId = new URL(page.url()).searchParams.get('id');
    ref = orderRefOf(orderId);
    await page.getByRole('heading', { name: /your order is confirmed/i }).waitFor();
    assert.equal((await stockOf(bookId)).available, 3);
    await spaNavigate(page, `/books/${bookId}`);
    await page.getByTestId('stock-badge').filter({ hasText: 'Only 3 left' }).waitFor();
  });

  it('the order page shows Confirmed, its timeline, live updates and a "Cancel order" button', async () => {
    await spaNavigate(page, `/orders/${orderId}`);
    await page.getByRole('heading', { level: 1, name: `Order ${ref}` }).waitFor();
    assert.equal(await status().getAttribute('data-status'), 'CONFIRMED');
    const entries = timeline().getByRole('listitem');
    assert.equal(await entries.count(), 1);
    const first = await entries.first().innerText();
    assert.match(first, /Confirmed/);
    assert.match(first, /by you/);
    await page.locator('[data-testid="live-status"][data-status="live"]').waitFor();
    await page.getByRole('button', { name: 'Cancel order', exact: true }).waitFor();
  });

  it('cancelling asks first; "Keep order" keeps it', async () => {
    await page.getByRole('button', { name: 'Cancel order', exact: true }).click();
    const dialog = page.getByRole('form', { name: 'Cancel this order?' });
    await dialog.waitFor();
    await screenshot(page, 'order-cancel-confirm');
    await dialog.getByRole('button', { name: 'Keep order' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await status().getAttribute('data-status'), 'CONFIRMED');
    assert.equal((await stockOf(bookId)).available, 3);
  });

  it('cancelled with a reason: the timeline ends with Cancelled, its reason and who; the button is gone', async () => {
    await page.getByRole('button', { name: 'Cancel order', exact: true }).click();
    const dialog = page.getByRole('form', { name: 'Cancel this order?' });
    await dialog.getByLabel('Reason (optional)').fill(reason);
    await dialog.getByRole('button', { name: 'Yes, cancel order' }).click();
    await page.getByText('Your order is cancelled. Its books are back in stock.').waitFor();
    await page.locator('[data-testid="order-status"][data-status="CANCELLED"]').waitFor();
    const last = timeline().getByRole('listitem').last();
    await last.filter({ hasText: 'Cancelled' }).waitFor();
    const text = await last.innerText();
    assert.match(text, new RegExp(`Reason: ${reason}`));
    assert.match(text, /by you/);
    assert.equal(await page.getByRole('button', { name: 'Cancel order', exact: true }).count(), 0);
    await screenshot(page, 'order-cancelled');
    const server = await (await apiAs(shopper)).call('GET', `/ecom/orders/${orderId}`);
    assert.equal(server.json.status, 'CANCELLED');
    assert.deepEqual(server.json.nextStatuses, []);
    assert.equal(server.json.timeline.at(-1).note, reason);
  });

  it('the book’s stock badge is back to "Only 4 left" (the copy went back once)', async () => {
    await spaNavigate(page, `/books/${bookId}`);
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    await page.getByTestId('stock-badge').filter({ hasText: 'Only 4 left' }).waitFor();
    const stock = await stockOf(bookId);
    assert.equal(stock.available, 4);
    assert.equal(stock.reserved, 0);
  });

  it('"My orders" shows each status and filters by it', async () => {
    await header(page).getByRole('link', { name: 'My orders' }).click();
    await page.getByRole('heading', { level: 1, name: 'My orders' }).waitFor();
    const row = page.getByTestId('order-row').filter({ has: page.getByRole('link', { name: `Order ${ref}` }) });
    await row.waitFor();
    assert.match(await row.innerText(), /Cancelled/);
    await page.getByLabel('Status').selectOption('CANCELLED');
    await page.waitForURL(/status=CANCELLED/);
    await row.waitFor();
    for (const s of await page.getByTestId('order-row').evaluateAll((rows) => rows.map((r) => r.dataset.status))) assert.equal(s, 'CANCELLED');
    await screenshot(page, 'my-orders-cancelled');
    await page.getByLabel('Status').selectOption('SHIPPED');
    await page.waitForURL(/status=SHIPPED/);
    await row.waitFor({ state: 'detached', timeout: 10_000 }); // the cancelled order is not among the shipped ones
    for (const s of await page.getByTestId('order-row').evaluateAll((rows) => rows.map((r) => r.dataset.status))) assert.equal(s, 'SHIPPED');
    await page.getByLabel('Status').selectOption('');
    await row.waitFor();
  });

  it('a cancel the order no longer allows (shipped meanwhile, page not live) shows the server’s detail', async () => {
    // This page misses the shipment: its event stream is cut.
    await page.route('**/ecom/orders/*/events', (route) => route.abort());
    const shopperApi = await apiAs(shopper);
    const other = await placeOrder(shopperApi, bookId, 1);
    await spaNavigate(page, `/orders/${other.id}`);
    await page.getByRole('heading', { level: 1, name: `Order ${orderRefOf(other.id)}` }).waitFor();
    await page.getByRole('button', { name: 'Cancel order', exact: true }).waitFor();
    const shipped = await admin.call('POST', `/ecom/admin/orders/${other.id}/ship`, { carrier: 'E2E Post' });
    assert.equal(shipped.status, 200);
    await page.getByRole('button', { name: 'Cancel order', exact: true }).click();
    await page.getByRole('form', { name: 'Cancel this order?' }).getByRole('button', { name: 'Yes, cancel order' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'could not be cancelled' });
    await alert.waitFor();
    assert.match(await alert.innerText(), /SHIPPED/, 'the problem’s detail names the current status');
    // The page reads the order again: shipped, with its carrier, and no cancel button.
    await page.locator('[data-testid="order-status"][data-status="SHIPPED"]').waitFor();
    await page.getByTestId('order-carrier').filter({ hasText: 'E2E Post' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel order', exact: true }).count(), 0);
    await screenshot(page, 'order-cancel-conflict');
    await page.unroute('**/ecom/orders/*/events');
  });

  it('no token was ever stored', async () => {
    await assertNoTokensInStorage(page, tokens, 'after cancelling');
  });
});
