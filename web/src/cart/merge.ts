import type { CartItem, Uuid } from '../api/types';
import { MAX_LINE_QUANTITY, type GuestLine } from './guestCart';

export interface MergeAdd {
  bookId: Uuid;
  /** Amount to POST /ecom/cart (which increments an existing line). */
  quantity: number;
}

export interface MergePlan {
  adds: MergeAdd[];
  /** Guest lines that could not be added in full because the server line would pass 99. */
  capped: { bookId: Uuid; requested: number; added: number }[];
}

/**
 * Merge the guest cart into the server cart at sign-in. Quantities add up (a book in both carts
 * ends with the sum), capped at 99 per line; nothing already on the server is ever lowered.
 * Pure: the caller performs the POSTs.
 */
export function planCartMerge(guest: readonly GuestLine[], server: readonly Pick<CartItem, 'bookId' | 'quantity'>[], max = MAX_LINE_QUANTITY): MergePlan {
  const onServer = new Map<Uuid, number>();
  for (const item of server) onServer.set(item.bookId, (onServer.get(item.bookId) ?? 0) + item.quantity);
  const wanted = new Map<Uuid, number>();
  for (const l of guest) {
    if (!l.bookId || !(l.quantity > 0)) continue;
    wanted.set(l.bookId, (wanted.get(l.bookId) ?? 0) + Math.floor(l.quantity));
  }
  const plan: MergePlan = { adds: [], capped: [] };
  for (const [bookId, requested] of wanted) {
    const room = Math.max(0, max - (onServer.get(bookId) ?? 0));
    const add = Math.min(requested, room);
    if (add > 0) plan.adds.push({ bookId, quantity: add });
    if (add < requested) plan.capped.push({ bookId, requested, added: add });
  }
  return plan;
}
