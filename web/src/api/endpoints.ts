import type { ApiClient } from './client';
import { pageFromHeaders, toPage } from './page';
import type {
  AnalyticsView,
  AnalyticsViewName,
  Book,
  BookInput,
  BookSort,
  CartItem,
  Order,
  OrderStatus,
  Page,
  Stock,
  Uuid,
} from './types';

export const MAX_BULK_STOCK_IDS = 50;
const enc = encodeURIComponent;

export interface PageQuery {
  page?: number;
  size?: number;
}

export interface OrderQuery extends PageQuery {
  /** One status, or all when absent. */
  status?: OrderStatus;
}

/** `{field: text}` without the empty ones: the move bodies are optional, field by field. */
export function moveBody(fields: Record<string, string | null | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    const t = v?.trim();
    if (t) out[k] = t;
  }
  return out;
}

/** Typed calls for every endpoint of docs/API.md that the browser uses. */
export function createApi(client: ApiClient) {
  return {
    client,

    // ---- catalog (public)
    listBooks: async (q: PageQuery & { sort?: BookSort } = {}, signal?: AbortSignal) =>
      toPage<Book>(await client.request('GET', '/ecom/books', { query: { ...q }, signal })),
    searchBooks: async (q: string, p: PageQuery = {}, signal?: AbortSignal) =>
      toPage<Book>(await client.request('GET', '/ecom/books/search', { query: { q, ...p }, signal })),
    getBook: (id: Uuid, signal?: AbortSignal) => client.request<Book>('GET', `/ecom/books/${enc(id)}`, { signal }),

    // ---- stock (public)
    getStock: (bookId: Uuid, signal?: AbortSignal) => client.request<Stock>('GET', `/inven/stock/${enc(bookId)}`, { signal }),
    /** Any number of ids: split into requests of at most 50 (the endpoint's limit). */
    bulkStock: async (bookIds: Uuid[], signal?: AbortSignal): Promise<Record<Uuid, Stock>> => {
      const unique = [...new Set(bookIds)];
      const chunks: Uuid[][] = [];
      for (let i = 0; i < unique.length; i += MAX_BULK_STOCK_IDS) chunks.push(unique.slice(i, i + MAX_BULK_STOCK_IDS));
      const answers = await Promise.all(
        chunks.map((ids) => client.request<Stock[] | Record<string, Stock>>('GET', '/inven/stock/bulk', { query: { book_ids: ids.join(',') }, signal })),
      );
      const out: Record<Uuid, Stock> = {};
      for (const a of answers) {
        const list = Array.isArray(a) ? a : Object.values(a ?? {});
        for (const s of list) if (s && s.book_id) out[s.book_id] = s;
      }
      return out;
    },

    // ---- shopper
    getCart: (signal?: AbortSignal) => client.request<CartItem[]>('GET', '/ecom/cart', { signal }),
    addToCart: (bookId: Uuid, quantity: number) => client.request<CartItem | CartItem[] | undefined>('POST', '/ecom/cart', { body: { bookId, quantity } }),
    updateCartItem: (itemId: Uuid, quantity: number) => client.request<CartItem | undefined>('PUT', `/ecom/cart/${enc(itemId)}`, { body: { quantity } }),
    removeCartItem: (itemId: Uuid) => client.request<void>('DELETE', `/ecom/cart/${enc(itemId)}`),
    /** Prefer `CheckoutAttempt` (idempotency key per attempt) over calling this directly. */
    checkout: async (idempotencyKey: string): Promise<{ order: Order; replayed: boolean }> => {
      const res = await client.raw('POST', '/ecom/checkout', { headers: { 'Idempotency-Key': idempotencyKey } });
      const order = (await res.json()) as Order;
      return { order, replayed: res.status === 200 };
    },
    listMyOrders: async (q: OrderQuery = {}, signal?: AbortSignal) =>
      toPage<Order>(await client.request('GET', '/ecom/orders', { query: { ...q }, signal })),
    getMyOrder: (id: Uuid, signal?: AbortSignal) => client.request<Order>('GET', `/ecom/orders/${enc(id)}`, { signal }),
    /** CONFIRMED → CANCELLED (books back to stock); already cancelled → the order as it is; else 409. */
    cancelMyOrder: (id: Uuid, reason?: string) => client.request<Order>('POST', `/ecom/orders/${enc(id)}/cancel`, { body: moveBody({ reason }) }),

    // ---- admin
    adminListBooks: async (p: PageQuery & { sort?: BookSort } = {}, signal?: AbortSignal) =>
      toPage<Book>(await client.request('GET', '/ecom/admin/books', { query: { ...p }, signal })),
    adminGetBook: (id: Uuid, signal?: AbortSignal) => client.request<Book>('GET', `/ecom/admin/books/${enc(id)}`, { signal }),
    adminCreateBook: (input: BookInput) => client.request<Book>('POST', '/ecom/admin/books', { body: input }),
    adminUpdateBook: (id: Uuid, input: BookInput) => client.request<Book>('PUT', `/ecom/admin/books/${enc(id)}`, { body: input }),
    adminDeleteBook: (id: Uuid) => client.request<void>('DELETE', `/ecom/admin/books/${enc(id)}`),
    adminListOrders: async (q: OrderQuery = {}, signal?: AbortSignal) =>
      toPage<Order>(await client.request('GET', '/ecom/admin/orders', { query: { ...q }, signal })),
    adminGetOrder: (id: Uuid, signal?: AbortSignal) => client.request<Order>('GET', `/ecom/admin/orders/${enc(id)}`, { signal }),
    adminShipOrder: (id: Uuid, shipment: { carrier?: string; trackingNumber?: string } = {}) =>
      client.request<Order>('POST', `/ecom/admin/orders/${enc(id)}/ship`, { body: moveBody(shipment) }),
    adminDeliverOrder: (id: Uuid) => client.request<Order>('POST', `/ecom/admin/orders/${enc(id)}/deliver`, { body: {} }),
    adminCancelOrder: (id: Uuid, reason?: string) => client.request<Order>('POST', `/ecom/admin/orders/${enc(id)}/cancel`, { body: moveBody({ reason }) }),
    adminListStock: async (p: PageQuery = {}, signal?: AbortSignal): Promise<Page<Stock>> => {
      const res = await client.raw('GET', '/inven/admin/stock', { query: { ...p }, signal });
      return pageFromHeaders<Stock>(await res.json(), res.headers, p);
    },
    adminSetStock: (bookId: Uuid, quantity: number) => client.request<Stock>('PUT', `/inven/admin/stock/${enc(bookId)}`, { body: { quantity } }),
    adminAdjustStock: (bookId: Uuid, delta: number) => client.request<Stock>('POST', `/inven/admin/stock/${enc(bookId)}/adjust`, { body: { delta } }),

    // ---- analytics (admin)
    analyticsView: (name: AnalyticsViewName, signal?: AbortSignal) => client.request<AnalyticsView>('GET', `/analytics/views/${enc(name)}`, { signal }),
    analyticsFreshness: async (signal?: AbortSignal): Promise<number | null> => freshnessSeconds(await client.request<unknown>('GET', '/analytics/freshness', { signal })),
  };
}

export type Api = ReturnType<typeof createApi>;

/** `/analytics/freshness` is "seconds between …": accept a bare number or an object holding one. */
export function freshnessSeconds(raw: unknown): number | null {
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
  if (raw && typeof raw === 'object') {
    for (const k of ['seconds', 'freshnessSeconds', 'freshness_seconds', 'lagSeconds', 'lag_seconds', 'freshness']) {
      const v = (raw as Record<string, unknown>)[k];
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    }
  }
  return null;
}
