// JSON shapes from docs/API.md. `/ecom` is camelCase, `/inven` is snake_case.

export type Uuid = string;

export interface Page<T> {
  content: T[];
  totalElements: number;
  totalPages: number;
  number: number;
  size: number;
}

export interface Book {
  id: Uuid;
  title: string;
  author: string;
  price: number;
  description?: string | null;
  coverUrl?: string | null;
  isbn?: string | null;
  genre?: string | null;
  publishedYear?: number | null;
  createdAt?: string;
}

export type BookSortField = 'title' | 'author' | 'price' | 'publishedYear' | 'createdAt';
export type BookSort = BookSortField | `${BookSortField},desc`;

export interface Stock {
  book_id: Uuid;
  quantity: number;
  reserved: number;
  available: number;
  updated_at?: string;
}

export interface CartItem {
  id: Uuid;
  bookId: Uuid;
  book?: Book | null;
  quantity: number;
  createdAt?: string;
}

export interface OrderItem {
  id?: Uuid;
  bookId: Uuid;
  title?: string | null;
  book?: Book | null;
  quantity: number;
  priceAtPurchase?: number;
  price?: number;
}

/** The statuses of docs/API.md "Orders" (PENDING exists but is unused); any other string is shown as is. */
export const ORDER_STATUSES = ['CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const;
export type KnownOrderStatus = (typeof ORDER_STATUSES)[number] | 'PENDING';
export type OrderStatus = KnownOrderStatus | (string & {});

/** One line of an order's life, oldest first. `by`: a user id, or `shop` when a shopper reads an admin's move. */
export interface TimelineEntry {
  status: OrderStatus;
  at: string;
  by?: string | null;
  /** A cancel's reason. */
  note?: string | null;
}

export interface Order {
  id: Uuid;
  userId?: string;
  total: number;
  status: OrderStatus;
  createdAt?: string;
  items: OrderItem[];
  carrier?: string | null;
  trackingNumber?: string | null;
  /** Where the order may still move (the server's word; absent from older servers). */
  nextStatuses?: OrderStatus[];
  /** Only on single-order answers (GET one, and the answers to moves), not in lists. */
  timeline?: TimelineEntry[];
}

export type OrderEventType = 'order.created' | 'order.shipped' | 'order.delivered' | 'order.cancelled';

/**
 * The data of one order event on `/ecom/orders/{id}/events` and `/ecom/admin/events` (docs/API.md "Live events").
 * `order.created` carries `{orderId, userId, total, items}` (money as strings), the moves
 * `{orderId, userId, status, at, note, carrier, trackingNumber}`; the admins' stream adds `actor`.
 */
export interface OrderEvent {
  type: OrderEventType | (string & {});
  /** The SSE `id:` (the outbox row): delivery is at least once, the same id may come twice. */
  id?: string;
  orderId: Uuid;
  userId?: string;
  status?: OrderStatus;
  at?: string;
  note?: string | null;
  carrier?: string | null;
  trackingNumber?: string | null;
  actor?: string | null;
  total?: number | string;
  items?: { bookId: Uuid; quantity: number; priceAtPurchase?: number | string }[];
}

/** Body of POST/PUT /ecom/admin/books. */
export interface BookInput {
  title: string;
  author: string;
  price?: number | string;
  description?: string;
  coverUrl?: string;
  isbn?: string;
  genre?: string;
  publishedYear?: number | string | null;
  /** POST only: creates the stock row. */
  initialStock?: number | string;
}

export type AnalyticsViewName =
  | 'vw_product_sales_volume'
  | 'vw_sales_over_time'
  | 'vw_revenue_by_author'
  | 'vw_revenue_by_genre'
  | 'vw_order_status_distribution'
  | 'vw_inventory_health'
  | 'vw_avg_order_value'
  | 'vw_top_books_by_revenue'
  | 'vw_inventory_turnover'
  | 'vw_book_price_distribution'
  | 'vw_cdc_latency';

export type AnalyticsRow = Record<string, string | number | boolean | null>;

export interface AnalyticsView {
  name: string;
  refreshedAt?: string | null;
  rows: AnalyticsRow[];
}
