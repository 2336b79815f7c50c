import { describe, expect, it } from 'vitest';
import type { Order, OrderEvent, Page } from '../api/types';
import { applyEventToPage, applyOrderEvent, canMove, nextStatuses, orderFromCreated, parseOrderEvent, statusLabel, upsertOrder } from './orders';

const order = (over: Partial<Order> = {}): Order => ({
  id: 'o1',
  userId: 'user1',
  total: 25,
  status: 'CONFIRMED',
  createdAt: '2026-01-01T10:00:00Z',
  items: [{ bookId: 'b1', title: 'Book', quantity: 2, priceAtPurchase: 12.5 }],
  carrier: null,
  trackingNumber: null,
  nextStatuses: ['SHIPPED', 'CANCELLED'],
  timeline: [{ status: 'CONFIRMED', at: '2026-01-01T10:00:00Z', by: 'user1', note: null }],
  ...over,
});

const shipped: OrderEvent = {
  type: 'order.shipped',
  orderId: 'o1',
  userId: 'user1',
  status: 'SHIPPED',
  at: '2026-01-01T11:00:00+00:00',
  note: null,
  carrier: 'UPS',
  trackingNumber: '1Z999',
};

const page = (content: Order[], over: Partial<Page<Order>> = {}): Page<Order> => ({ content, totalElements: content.length, totalPages: 1, number: 0, size: 20, ...over });

describe('order moves', () => {
  it('follows the server’s nextStatuses, else the documented moves', () => {
    expect(canMove(order(), 'CANCELLED')).toBe(true);
    expect(canMove(order({ nextStatuses: ['DELIVERED'] }), 'CANCELLED')).toBe(false);
    expect(nextStatuses({ status: 'SHIPPED' })).toEqual(['DELIVERED']);
    expect(nextStatuses({ status: 'CANCELLED' })).toEqual([]);
    expect(nextStatuses({ status: 'SOMETHING' })).toEqual([]);
    expect(statusLabel('CANCELLED')).toBe('Cancelled');
  });
});

describe('parseOrderEvent', () => {
  it('reads an order event, its type from the data or else the event name, and keeps the SSE id', () => {
    expect(parseOrderEvent('order.shipped', JSON.stringify(shipped), 'e1')).toEqual({ ...shipped, id: 'e1' });
    expect(parseOrderEvent('order.cancelled', '{"orderId":"o2","status":"CANCELLED"}')).toEqual({ type: 'order.cancelled', orderId: 'o2', status: 'CANCELLED' });
  });
  it('ignores other events, bad JSON and data without an order id', () => {
    expect(parseOrderEvent('ready', '{}')).toBeNull();
    expect(parseOrderEvent('order.shipped', 'not json')).toBeNull();
    expect(parseOrderEvent('order.shipped', '{"status":"SHIPPED"}')).toBeNull();
    expect(parseOrderEvent('order.shipped', 'null')).toBeNull();
  });
});

describe('applyOrderEvent', () => {
  it('a shipment sets the status, carrier, tracking, next moves and a timeline line', () => {
    const o = applyOrderEvent(order(), shipped);
    expect(o.status).toBe('SHIPPED');
    expect(o.carrier).toBe('UPS');
    expect(o.trackingNumber).toBe('1Z999');
    expect(o.nextStatuses).toEqual(['DELIVERED']);
    expect(o.timeline).toEqual([
      { status: 'CONFIRMED', at: '2026-01-01T10:00:00Z', by: 'user1', note: null },
      { status: 'SHIPPED', at: '2026-01-01T11:00:00+00:00', by: null, note: null },
    ]);
  });

  it('a cancel carries its reason; the admins’ stream names who moved it', () => {
    const o = applyOrderEvent(order(), { type: 'order.cancelled', orderId: 'o1', status: 'CANCELLED', at: '2026-01-01T12:00:00Z', note: 'Changed my mind', actor: 'admin1' });
    expect(o.status).toBe('CANCELLED');
    expect(o.nextStatuses).toEqual([]);
    expect(o.timeline?.at(-1)).toEqual({ status: 'CANCELLED', at: '2026-01-01T12:00:00Z', by: 'admin1', note: 'Changed my mind' });
  });

  it('the same event twice, or an event the order already shows (after a reload), changes nothing', () => {
    const once = applyOrderEvent(order(), shipped);
    expect(applyOrderEvent(once, shipped)).toBe(once);
    const reloaded = order({ status: 'SHIPPED', carrier: 'UPS', trackingNumber: '1Z999', nextStatuses: ['DELIVERED'], timeline: [...order().timeline!, { status: 'SHIPPED', at: '2026-01-01T11:00:00Z', by: 'shop', note: null }] });
    expect(applyOrderEvent(reloaded, shipped)).toBe(reloaded);
  });

  it('never moves an order back: a late shipped after delivered, anything after cancelled', () => {
    const delivered = order({ status: 'DELIVERED', nextStatuses: [] });
    expect(applyOrderEvent(delivered, shipped)).toBe(delivered);
    const cancelled = order({ status: 'CANCELLED', nextStatuses: [] });
    expect(applyOrderEvent(cancelled, shipped)).toBe(cancelled);
    expect(applyOrderEvent(cancelled, { ...shipped, type: 'order.delivered', status: 'DELIVERED' })).toBe(cancelled);
    expect(applyOrderEvent(delivered, { type: 'order.created', orderId: 'o1' })).toBe(delivered);
  });

  it('ignores another order’s event; takes the status from the type when the data has none', () => {
    const o = order();
    expect(applyOrderEvent(o, { ...shipped, orderId: 'o2' })).toBe(o);
    expect(applyOrderEvent(order({ status: 'SHIPPED', nextStatuses: ['DELIVERED'] }), { type: 'order.delivered', orderId: 'o1' }).status).toBe('DELIVERED');
  });

  it('a list row (no timeline) gets no timeline', () => {
    const row = order({ timeline: undefined });
    expect(applyOrderEvent(row, shipped).timeline).toBeUndefined();
  });
});

describe('list pages', () => {
  const created: OrderEvent = { type: 'order.created', orderId: 'o9', userId: 'user2', total: '19.90', items: [{ bookId: 'b2', quantity: 1, priceAtPurchase: '19.90' }] };

  it('a new order appears first on the first page, as CONFIRMED with its money as numbers', () => {
    const p = applyEventToPage(page([order({ timeline: undefined })]), created, { page: 0 });
    expect(p.content.map((o) => o.id)).toEqual(['o9', 'o1']);
    expect(p.totalElements).toBe(2);
    expect(p.content[0]).toMatchObject({ status: 'CONFIRMED', total: 19.9, userId: 'user2', nextStatuses: ['SHIPPED', 'CANCELLED'] });
    expect(p.content[0].items[0]).toEqual({ bookId: 'b2', quantity: 1, priceAtPurchase: 19.9 });
    expect(orderFromCreated({ type: 'order.created', orderId: 'x' }).items).toEqual([]);
  });

  it('…not on a later page, nor under another status, nor twice; the page keeps its size', () => {
    const base = page([order({ timeline: undefined })]);
    expect(applyEventToPage(base, created, { page: 1 })).toBe(base);
    expect(applyEventToPage(base, created, { page: 0, status: 'SHIPPED' })).toBe(base);
    expect(applyEventToPage(base, created, { page: 0, status: 'CONFIRMED' }).content).toHaveLength(2);
    const twice = applyEventToPage(applyEventToPage(base, created, { page: 0 }), created, { page: 0 });
    expect(twice.content.map((o) => o.id)).toEqual(['o9', 'o1']);
    const full = page([order({ id: 'a' }), order({ id: 'b' })], { size: 2, totalElements: 2 });
    const p = applyEventToPage(full, created, { page: 0 });
    expect(p.content.map((o) => o.id)).toEqual(['o9', 'a']);
    expect(p.totalPages).toBe(2);
  });

  it('a moved order changes in place, or leaves a list filtered on its old status', () => {
    const base = page([order({ id: 'o0' }), order({ timeline: undefined })]);
    const all = applyEventToPage(base, shipped, { page: 0 });
    expect(all.content[1]).toMatchObject({ id: 'o1', status: 'SHIPPED', carrier: 'UPS' });
    expect(all.content[0]).toBe(base.content[0]);
    const confirmed = applyEventToPage(base, shipped, { page: 0, status: 'CONFIRMED' });
    expect(confirmed.content.map((o) => o.id)).toEqual(['o0']);
    expect(confirmed.totalElements).toBe(1);
    expect(applyEventToPage(base, { ...shipped, orderId: 'elsewhere' }, { page: 0 })).toBe(base);
  });

  it('a move’s answer replaces the row (without its timeline)', () => {
    const base = page([order({ timeline: undefined })]);
    const moved = order({ status: 'SHIPPED', carrier: 'DHL', nextStatuses: ['DELIVERED'] });
    const p = upsertOrder(base, moved, { page: 0 });
    expect(p.content[0]).toMatchObject({ status: 'SHIPPED', carrier: 'DHL' });
    expect(p.content[0].timeline).toBeUndefined();
    expect(upsertOrder(base, moved, { page: 0, status: 'CONFIRMED' }).content).toEqual([]);
  });
});
