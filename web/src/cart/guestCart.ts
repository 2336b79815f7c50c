import type { Book, Uuid } from '../api/types';

export const GUEST_CART_KEY = 'bookstore.guestCart.v1';
export const MAX_LINE_QUANTITY = 99;

/** A line of the cart kept in localStorage before sign-in; a snapshot of the book for display. */
export interface GuestLine {
  bookId: Uuid;
  quantity: number;
  title: string;
  author?: string;
  price?: number;
  coverUrl?: string | null;
}

export const clampQuantity = (q: number) => Math.max(1, Math.min(MAX_LINE_QUANTITY, Math.floor(Number.isFinite(q) ? q : 1)));

function isLine(v: unknown): v is GuestLine {
  const l = v as GuestLine;
  return !!l && typeof l === 'object' && typeof l.bookId === 'string' && l.bookId !== '' && typeof l.quantity === 'number' && l.quantity > 0;
}

/** Read the guest cart; anything malformed is dropped rather than breaking the page. */
export function loadGuestCart(storage: Pick<Storage, 'getItem'> | undefined): GuestLine[] {
  if (!storage) return [];
  try {
    const raw = storage.getItem(GUEST_CART_KEY);
    if (!raw) return [];
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return [];
    return normalise(parsed.filter(isLine).map((l) => ({ ...l, title: typeof l.title === 'string' ? l.title : 'Book', quantity: clampQuantity(l.quantity) })));
  } catch {
    return [];
  }
}

export function saveGuestCart(storage: Pick<Storage, 'setItem' | 'removeItem'> | undefined, lines: GuestLine[]): void {
  if (!storage) return;
  try {
    if (lines.length === 0) storage.removeItem(GUEST_CART_KEY);
    else storage.setItem(GUEST_CART_KEY, JSON.stringify(lines));
  } catch {
    /* storage full or disabled: the cart lives for this page only */
  }
}

/** One line per book (duplicates summed, capped at 99). */
export function normalise(lines: GuestLine[]): GuestLine[] {
  const byId = new Map<Uuid, GuestLine>();
  for (const l of lines) {
    const prev = byId.get(l.bookId);
    byId.set(l.bookId, prev ? { ...prev, quantity: clampQuantity(prev.quantity + l.quantity) } : { ...l });
  }
  return [...byId.values()];
}

export function addGuestLine(lines: GuestLine[], book: Pick<Book, 'id' | 'title' | 'author' | 'price' | 'coverUrl'>, quantity = 1): GuestLine[] {
  return normalise([
    ...lines,
    { bookId: book.id, quantity: clampQuantity(quantity), title: book.title, author: book.author, price: book.price, coverUrl: book.coverUrl ?? null },
  ]);
}

export function setGuestQuantity(lines: GuestLine[], bookId: Uuid, quantity: number): GuestLine[] {
  return lines.map((l) => (l.bookId === bookId ? { ...l, quantity: clampQuantity(quantity) } : l));
}

export function removeGuestLine(lines: GuestLine[], bookId: Uuid): GuestLine[] {
  return lines.filter((l) => l.bookId !== bookId);
}
