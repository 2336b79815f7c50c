import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useApi } from '../api/ApiProvider';
import { isApiError } from '../api/errors';
import type { Book, CartItem, Uuid } from '../api/types';
import { useAuth } from '../auth/AuthProvider';
import {
  addGuestLine,
  clampQuantity,
  loadGuestCart,
  removeGuestLine,
  saveGuestCart,
  setGuestQuantity,
  type GuestLine,
} from './guestCart';
import { planCartMerge } from './merge';

/** One row of the cart as the pages show it, whether guest or server. */
export interface CartLine {
  key: string;
  bookId: Uuid;
  /** Server item id (signed in only). */
  itemId?: Uuid;
  title: string;
  author?: string;
  price: number;
  coverUrl?: string | null;
  quantity: number;
}

type ServerState = { status: 'idle' | 'loading' | 'ready' | 'error'; items: CartItem[]; error?: unknown };

export interface CartContextValue {
  mode: 'guest' | 'server';
  lines: CartLine[];
  count: number;
  subtotal: number;
  status: ServerState['status'];
  error?: unknown;
  /** Non-fatal note for the user (merge results, failed updates). */
  notice: string | null;
  dismissNotice: () => void;
  busy: boolean;
  add: (book: Pick<Book, 'id' | 'title' | 'author' | 'price' | 'coverUrl'>, quantity?: number) => Promise<void>;
  setQuantity: (line: CartLine, quantity: number) => Promise<void>;
  remove: (line: CartLine) => Promise<void>;
  reload: () => Promise<void>;
  /** After a successful checkout the server cart is empty. */
  markCheckedOut: () => void;
}

const CartContext = createContext<CartContextValue | null>(null);

export function useCart(): CartContextValue {
  const c = useContext(CartContext);
  if (!c) throw new Error('useCart outside CartProvider');
  return c;
}

const storage = () => (typeof window !== 'undefined' ? window.localStorage : undefined);

function toLine(item: CartItem): CartLine {
  return {
    key: item.id,
    bookId: item.bookId,
    itemId: item.id,
    title: item.book?.title ?? 'Book',
    author: item.book?.author,
    price: Number(item.book?.price ?? 0),
    coverUrl: item.book?.coverUrl,
    quantity: item.quantity,
  };
}

export function CartProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const auth = useAuth();
  const signedIn = auth.status === 'signedIn';
  const [guest, setGuest] = useState<GuestLine[]>(() => loadGuestCart(storage()));
  const [server, setServer] = useState<ServerState>({ status: 'idle', items: [] });
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const mergedFor = useRef<string | null>(null);
  const dismissNotice = useCallback(() => setNotice(null), []);

  const updateGuest = useCallback((fn: (l: GuestLine[]) => GuestLine[]) => {
    setGuest((prev) => {
      const next = fn(prev);
      saveGuestCart(storage(), next);
      return next;
    });
  }, []);

  // Other tabs editing the guest cart.
  useEffect(() => {
    const onStorage = (e: StorageEvent) => {
      if (e.key === null || e.key === 'bookstore.guestCart.v1') setGuest(loadGuestCart(storage()));
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const reload = useCallback(async () => {
    setServer((s) => ({ ...s, status: 'loading' }));
    try {
      const items = await api.getCart();
      setServer({ status: 'ready', items: Array.isArray(items) ? items : [] });
    } catch (error) {
      setServer((s) => ({ ...s, status: 'error', error }));
    }
  }, [api]);

  // At sign-in: merge the guest cart into the server cart, then show the server cart.
  // Runs once per signed-in subject; answers for a subject no longer signed in are dropped.
  const sub = signedIn ? auth.user?.sub ?? null : null;
  const currentSub = useRef<string | null>(null);
  currentSub.current = sub;
  useEffect(() => {
    if (!sub) {
      mergedFor.current = null;
      setServer({ status: 'idle', items: [] });
      return;
    }
    if (mergedFor.current === sub) return;
    mergedFor.current = sub;
    const live = () => currentSub.current === sub;
    void (async () => {
      setServer({ status: 'loading', items: [] });
      let items: CartItem[];
      try {
        items = await api.getCart();
      } catch (error) {
        if (live()) setServer({ status: 'error', items: [], error });
        mergedFor.current = null;
        return;
      }
      const pending = loadGuestCart(storage());
      if (pending.length > 0 && live()) {
        const plan = planCartMerge(pending, items);
        const failed: string[] = [];
        const done = new Set<Uuid>();
        for (const add of plan.adds) {
          try {
            await api.addToCart(add.bookId, add.quantity);
            done.add(add.bookId);
          } catch (e) {
            const title = pending.find((l) => l.bookId === add.bookId)?.title ?? 'a book';
            failed.push(`${title}${isApiError(e) ? ` (${e.userMessage})` : ''}`);
          }
        }
        for (const c of plan.capped) done.add(c.bookId);
        // Keep only what could not be merged, so nothing is silently lost.
        updateGuest((lines) => lines.filter((l) => !done.has(l.bookId)));
        const msgs: string[] = [];
        if (done.size > 0) msgs.push('Items from your guest cart were added to your cart.');
        if (plan.capped.length > 0) msgs.push('Some quantities were capped at 99 per book.');
        if (failed.length > 0) msgs.push(`Could not add: ${failed.join(', ')}.`);
        if (live() && msgs.length) setNotice(msgs.join(' '));
        try {
          items = await api.getCart();
        } catch (error) {
          if (live()) setServer({ status: 'error', items: [], error });
          return;
        }
      }
      if (live()) setServer({ status: 'ready', items });
    })();
  }, [sub, api, updateGuest]);

  const run = useCallback(
    async (op: () => Promise<unknown>) => {
      setBusy(true);
      try {
        await op();
        await reload();
      } catch (e) {
        setNotice(isApiError(e) ? e.userMessage : 'Something went wrong updating your cart.');
        throw e;
      } finally {
        setBusy(false);
      }
    },
    [reload],
  );

  const value = useMemo<CartContextValue>(() => {
    const mode = signedIn ? 'server' : 'guest';
    const lines: CartLine[] =
      mode === 'server'
        ? server.items.map(toLine)
        : guest.map((g) => ({ key: g.bookId, bookId: g.bookId, title: g.title, author: g.author, price: Number(g.price ?? 0), coverUrl: g.coverUrl, quantity: g.quantity }));
    return {
      mode,
      lines,
      count: lines.reduce((n, l) => n + l.quantity, 0),
      subtotal: Math.round(lines.reduce((s, l) => s + l.price * 100 * l.quantity, 0)) / 100,
      status: mode === 'server' ? server.status : 'ready',
      error: server.error,
      notice,
      dismissNotice,
      busy,
      add: async (book, quantity = 1) => {
        if (mode === 'guest') updateGuest((l) => addGuestLine(l, book, quantity));
        else await run(() => api.addToCart(book.id, clampQuantity(quantity)));
      },
      setQuantity: async (line, quantity) => {
        if (mode === 'guest') updateGuest((l) => setGuestQuantity(l, line.bookId, quantity));
        else if (line.itemId) await run(() => api.updateCartItem(line.itemId!, clampQuantity(quantity)));
      },
      remove: async (line) => {
        if (mode === 'guest') updateGuest((l) => removeGuestLine(l, line.bookId));
        else if (line.itemId) await run(() => api.removeCartItem(line.itemId!));
      },
      reload,
      markCheckedOut: () => setServer({ status: 'ready', items: [] }),
    };
  }, [signedIn, server, guest, notice, dismissNotice, busy, updateGuest, run, api, reload]);

  return <CartContext.Provider value={value}>{children}</CartContext.Provider>;
}
