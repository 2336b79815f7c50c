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

export type OrderStatus = 'CONFIRMED' | 'PENDING' | 'CANCELLED' | string;

export interface Order {
  id: Uuid;
  userId?: string;
  total: number;
  status: OrderStatus;
  createdAt?: string;
  items: OrderItem[];
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
