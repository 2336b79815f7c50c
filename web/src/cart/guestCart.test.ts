import { describe, expect, it } from 'vitest';
import { GUEST_CART_KEY, addGuestLine, loadGuestCart, removeGuestLine, saveGuestCart, setGuestQuantity } from './guestCart';

class MemStorage {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
  removeItem(k: string) {
    this.data.delete(k);
  }
}

const book = (id: string, price = 10) => ({ id, title: `T${id}`, author: 'A', price, coverUrl: null });

describe('guest cart', () => {
  it('adds, increments and caps at 99', () => {
    let lines = addGuestLine([], book('a'), 2);
    lines = addGuestLine(lines, book('a'), 3);
    expect(lines).toEqual([{ bookId: 'a', quantity: 5, title: 'Ta', author: 'A', price: 10, coverUrl: null }]);
    lines = addGuestLine(lines, book('a'), 500);
    expect(lines[0].quantity).toBe(99);
  });

  it('sets quantity within 1..99 and removes lines', () => {
    let lines = addGuestLine(addGuestLine([], book('a')), book('b'));
    lines = setGuestQuantity(lines, 'b', 0);
    expect(lines.find((l) => l.bookId === 'b')!.quantity).toBe(1);
    lines = setGuestQuantity(lines, 'b', 7);
    expect(lines.find((l) => l.bookId === 'b')!.quantity).toBe(7);
    expect(removeGuestLine(lines, 'a').map((l) => l.bookId)).toEqual(['b']);
  });

  it('round-trips through storage and removes the key when empty', () => {
    const s = new MemStorage();
    const lines = addGuestLine([], book('a'), 2);
    saveGuestCart(s, lines);
    expect(loadGuestCart(s)).toEqual(lines);
    saveGuestCart(s, []);
    expect(s.data.has(GUEST_CART_KEY)).toBe(false);
  });

  it('survives corrupt storage', () => {
    const s = new MemStorage();
    s.setItem(GUEST_CART_KEY, '{not json');
    expect(loadGuestCart(s)).toEqual([]);
    s.setItem(GUEST_CART_KEY, JSON.stringify([{ bookId: 'a', quantity: 2, title: 'x' }, { nope: true }, { bookId: 'b', quantity: -1 }]));
    expect(loadGuestCart(s).map((l) => l.bookId)).toEqual(['a']);
    expect(loadGuestCart(undefined)).toEqual([]);
  });
});
