// Browse and search as a guest: catalog with stock badges, sorting, pagination, search, detail, 404.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SEED, assertNoTokensInStorage, launch, openPage, screenshot } from '../lib.mjs';

describe('browse and search (guest)', { timeout: 180_000 }, () => {
  let browser;
  let page;
  let pageErrors;
  before(async () => {
    browser = await launch();
    ({ page, pageErrors } = await openPage(browser));
  });
  after(async () => {
    await browser?.close();
  });

  const cardTitles = async () => page.getByTestId('book-card').locator('.book-title').allInnerTexts();

  it('the catalog lists the seed books, each with a stock badge', async () => {
    await page.goto('/?size=100');
    await page.getByTestId('book-card').first().waitFor();
    const titles = await cardTitles();
    for (const b of Object.values(SEED)) assert.ok(titles.includes(b.title), `catalog shows ${b.title}`);
    const card = page.getByTestId('book-card').filter({ hasText: SEED.python.title });
    const badge = card.getByTestId('stock-badge');
    await badge.waitFor();
    assert.match(await badge.innerText(), /^(In Stock|Only \d left|Out of Stock)$/);
    await page.goto('/');
    await page.getByTestId('stock-badge').first().waitFor();
    await screenshot(page, 'catalog');
  });

  it('sorting by price (high to low) orders the cards by price', async () => {
    await page.goto('/?size=100');
    await page.getByTestId('book-card').first().waitFor();
    await page.getByLabel('Sort by').selectOption('price,desc');
    await page.waitForURL(/sort=price%2Cdesc|sort=price,desc/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="book-card"]').length > 0 && !document.querySelector('[aria-busy="true"]'));
    const prices = (await page.getByTestId('book-card').locator('.price').allInnerTexts()).map((p) => Number(p.replace(/[^0-9.]/g, '')));
    assert.ok(prices.length >= 10);
    for (let i = 1; i < prices.length; i++) assert.ok(prices[i - 1] >= prices[i], `prices descending: ${prices.join(', ')}`);
  });

  it('pagination moves between pages of the catalog', async () => {
    await page.goto('/?size=4');
    await page.getByTestId('book-card').first().waitFor();
    const nav = page.getByRole('navigation', { name: 'Catalog pages' });
    assert.match(await nav.innerText(), /Page 1 of \d+/);
    const first = await cardTitles();
    assert.equal(first.length, 4);
    await nav.getByRole('button', { name: /Next/ }).click();
    await page.waitForURL(/page=1/);
    await page.getByRole('navigation', { name: 'Catalog pages' }).getByText(/Page 2 of/).waitFor();
    await page.waitForFunction((prev) => {
      const t = [...document.querySelectorAll('[data-testid="book-card"] .book-title')].map((e) => e.textContent);
      return t.length > 0 && t[0] !== prev;
    }, first[0]);
    const second = await cardTitles();
    assert.ok(second.every((t) => !first.includes(t)), 'page 2 shows other books');
  });

  it('search finds books by title and by author, and says so when nothing matches', async () => {
    await page.goto('/');
    await page.getByRole('searchbox', { name: 'Search books' }).fill('kafka');
    await page.getByRole('search').getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/search\?q=kafka/);
    await page.getByTestId('book-card').filter({ hasText: SEED.kafka.title }).waitFor();
    await screenshot(page, 'search');

    await page.getByRole('searchbox', { name: 'Search books' }).fill('Kleppmann');
    await page.keyboard.press('Enter');
    await page.getByTestId('book-card').filter({ hasText: SEED.ddia.title }).waitFor();

    await page.goto('/search?q=zzqx-no-such-book');
    await page.getByRole('heading', { name: 'No books match your search' }).waitFor();
  });

  it('the detail page shows the book, its price, ISBN and stock', async () => {
    await page.goto('/?size=100');
    await page.getByRole('link', { name: SEED.ddia.title, exact: true }).click();
    await page.waitForURL(new RegExp(`/books/${SEED.ddia.id}$`));
    await page.getByRole('heading', { level: 1, name: SEED.ddia.title }).waitFor();
    const text = await page.locator('article.book-detail').innerText();
    assert.ok(text.includes(SEED.ddia.isbn), 'ISBN shown');
    assert.ok(text.includes(SEED.ddia.price), 'price shown');
    await page.locator('article.book-detail').getByTestId('stock-badge').waitFor();
    await screenshot(page, 'book-detail');
  });

  it('unknown pages and unknown books show a 404 page', async () => {
    await page.goto('/no/such/page');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await page.goto('/books/00000000-0000-0000-0000-0000000000ff');
    await page.getByRole('heading', { name: 'This book could not be found' }).waitFor();
    await screenshot(page, 'not-found');
  });

  it('no script errors and no tokens in storage', async () => {
    await assertNoTokensInStorage(page, new Set(), 'guest browsing');
    assert.deepEqual(pageErrors, []);
  });
});
