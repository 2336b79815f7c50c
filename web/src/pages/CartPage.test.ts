import { describe, expect, it } from 'vitest';
import { shortageText, withTitles } from './CartPage';

describe('shortageText (checkout 409)', () => {
  it('names the short books by title, as the backend lists them', () => {
    expect(
      shortageText({
        status: 409,
        detail: 'Not enough stock for: Clean Code (3 wanted, 1 available).',
        books: [
          { bookId: '00000000-0000-0000-0000-000000000002', title: 'Clean Code', requested: 3, available: 1 },
          { bookId: '00000000-0000-0000-0000-000000000003', title: 'DDIA', requested: 1, available: 0 },
        ],
      }),
    ).toBe('Not enough stock for Clean Code (3 wanted, 1 left); DDIA (1 wanted, none left).');
  });

  it('is null for a 409 without a books list (the detail is shown instead)', () => {
    expect(shortageText({ status: 409, detail: 'Some books in the cart are no longer sold' })).toBeNull();
    expect(shortageText(undefined)).toBeNull();
  });
});

describe('withTitles', () => {
  it('replaces the book ids of a problem detail with titles', () => {
    const titles = new Map([['00000000-0000-0000-0000-000000000002', 'Clean Code']]);
    expect(
      withTitles('Some books in the cart are no longer sold (00000000-0000-0000-0000-000000000002, 00000000-0000-0000-0000-0000000000ff); remove them and try again.', titles),
    ).toBe('Some books in the cart are no longer sold (“Clean Code”, a book); remove them and try again.');
    expect(withTitles(undefined, titles)).toBeUndefined();
  });
});
