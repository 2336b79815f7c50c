// An order's life on the client: what it may do next, and how a live event (docs/API.md "Live events") changes
// what is shown until the next reload brings the server's own word.
import type { Order, OrderEvent, OrderStatus, Page, TimelineEntry } from '../api/types';
import { ORDER_STATUSES } from '../api/types';

/** docs/API.md "Order moves": CONFIRMED → SHIPPED → DELIVERED; CONFIRMED → CANCELLED. */
const MOVES: Record<string, OrderStatus[]> = {
  PENDING: ['CONFIRMED', 'CANCELLED'],
  CONFIRMED: ['SHIPPED', 'CANCELLED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: [],
  CANCELLED: [],
};

/** How far along its life a status is: an event never moves an order back (a late or repeated event). */
const RANK: Record<string, number> = { PENDING: 0, CONFIRMED: 1, SHIPPED: 2, DELIVERED: 3, CANCELLED: 3 };

const EVENT_STATUS: Record<string, OrderStatus> = {
  'order.created': 'CONFIRMED',
  'order.shipped': 'SHIPPED',
  'order.delivered': 'DELIVERED',
  'order.cancelled': 'CANCELLED',
};

export function isOrderStatus(s: string | null | undefined): s is (typeof ORDER_STATUSES)[number] {
  return !!s && (ORDER_STATUSES as readonly string[]).includes(s);
}

/** `SHIPPED` → `Shipped`. */
export function statusLabel(status: string): string {
  return status.charAt(0) + status.slice(1).toLowerCase();
}

/** Where an order may still move: the server's `nextStatuses`, else the documented moves. */
export function nextStatuses(order: Pick<Order, 'status' | 'nextStatuses'>): OrderStatus[] {
  return Array.isArray(order.nextStatuses) ? order.nextStatuses : (MOVES[order.status] ?? []);
}

export function canMove(order: Pick<Order, 'status' | 'nextStatuses'>, to: OrderStatus): boolean {
  return nextStatuses(order).includes(to);
}

/** The status an event says the order is in now. */
export function eventStatus(ev: Pick<OrderEvent, 'type' | 'status'>): OrderStatus | undefined {
  return ev.status ?? EVENT_STATUS[ev.type];
}

/** Read one SSE message's data as an order event; anything else (not JSON, no order id) is null. */
export function parseOrderEvent(name: string, data: string, id?: string): OrderEvent | null {
  if (!name.startsWith('order.')) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return null;
  }
  if (!raw || typeof raw !== 'object') return null;
  const ev = raw as Partial<OrderEvent>;
  if (typeof ev.orderId !== 'string' || !ev.orderId) return null;
  return { ...ev, type: typeof ev.type === 'string' && ev.type ? ev.type : name, orderId: ev.orderId, ...(id ? { id } : {}) };
}

function sameMoment(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const [x, y] = [Date.parse(a), Date.parse(b)];
  return Number.isFinite(x) && x === y;
}

/**
 * The order as the event says it is now: status, carrier and tracking, what it may do next, and (when the order
 * has a timeline) a line for the move. An event for another order, or one that would move it back (late,
 * repeated), leaves it as it is. Each status happens once in an order's life, so the timeline gets a line only for
 * a status it does not list yet.
 */
export function applyOrderEvent(order: Order, ev: OrderEvent): Order {
  if (ev.orderId !== order.id) return order;
  const status = eventStatus(ev);
  if (!status) return order;
  const [from, to] = [RANK[order.status] ?? 0, RANK[status] ?? 0];
  if (to < from || (to === from && status !== order.status)) return order;
  const moved = status !== order.status;
  const carrier = ev.carrier ?? order.carrier ?? null;
  const trackingNumber = ev.trackingNumber ?? order.trackingNumber ?? null;
  let timeline = order.timeline;
  if (timeline && !timeline.some((e) => e.status === status)) {
    const entry: TimelineEntry = { status, at: ev.at ?? new Date().toISOString(), by: ev.actor ?? null, note: ev.note ?? null };
    timeline = [...timeline, entry];
  } else if (timeline && ev.note) {
    timeline = timeline.map((e) => (e.status === status && !e.note && (sameMoment(e.at, ev.at) || !ev.at) ? { ...e, note: ev.note } : e));
  }
  if (!moved && carrier === order.carrier && trackingNumber === order.trackingNumber && timeline === order.timeline) return order;
  return {
    ...order,
    status,
    carrier,
    trackingNumber,
    nextStatuses: moved ? (MOVES[status] ?? []) : order.nextStatuses,
    ...(timeline ? { timeline } : {}),
  };
}

/** A list row for an order known only from its `order.created` event (money comes as strings there). */
export function orderFromCreated(ev: OrderEvent): Order {
  const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0)) || 0;
  return {
    id: ev.orderId,
    userId: ev.userId,
    total: num(ev.total),
    status: 'CONFIRMED',
    createdAt: ev.at ?? new Date().toISOString(),
    items: (ev.items ?? []).map((i) => ({ bookId: i.bookId, quantity: i.quantity, priceAtPurchase: num(i.priceAtPurchase) })),
    carrier: null,
    trackingNumber: null,
    nextStatuses: MOVES.CONFIRMED,
  };
}

/** What a list shows: one status (or all), and which page of it, newest first. */
export interface ListView {
  status?: OrderStatus | '';
  page: number;
}

const matches = (view: ListView, status: OrderStatus) => !view.status || view.status === status;

/**
 * A list page with one order as it is now (a move's answer, or a live order): updated in place, dropped when it
 * left the list's status, put first when it is new to the first page and belongs there. The page keeps its size.
 */
export function upsertOrder(page: Page<Order>, order: Order, view: ListView): Page<Order> {
  const at = page.content.findIndex((o) => o.id === order.id);
  if (at >= 0) {
    if (!matches(view, order.status)) {
      return { ...page, content: page.content.filter((o) => o.id !== order.id), totalElements: Math.max(0, page.totalElements - 1) };
    }
    const current = page.content[at];
    // A list row has no timeline: keep the row's shape.
    const { timeline: _timeline, ...row } = order;
    if (current === order) return page;
    const content = [...page.content];
    content[at] = { ...current, ...row };
    return { ...page, content };
  }
  if (view.page !== 0 || !matches(view, order.status)) return page;
  const { timeline: _t, ...row } = order;
  const content = [row, ...page.content].slice(0, Math.max(page.size, 1));
  const totalElements = page.totalElements + 1;
  return { ...page, content, totalElements, totalPages: Math.max(page.totalPages, Math.ceil(totalElements / Math.max(1, page.size))) };
}

/** A list page after a live event: a new order appears (first page), a moved one changes (or leaves the filter). */
export function applyEventToPage(page: Page<Order>, ev: OrderEvent, view: ListView): Page<Order> {
  const current = page.content.find((o) => o.id === ev.orderId);
  if (current) {
    const next = applyOrderEvent(current, ev);
    return next === current ? page : upsertOrder(page, next, view);
  }
  if (ev.type === 'order.created') return upsertOrder(page, orderFromCreated(ev), view);
  return page; // a move of an order this page does not show: the reload that follows brings it if it belongs
}
