import { describe, expect, it, vi } from 'vitest';
import { ApiClient } from './client';
import { createApi, moveBody } from './endpoints';
import { ApiError } from './errors';
import { dispatchOrderMessage, liveStatusFor } from './useEventStream';

type Call = { method: string; url: string; headers: Record<string, string>; body?: string };

function server(answers: Response[]) {
  const calls: Call[] = [];
  const fetchImpl = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ method: init?.method ?? 'GET', url: String(input), headers: { ...(init?.headers as Record<string, string>) }, body: init?.body as string | undefined });
    const a = answers.shift();
    if (!a) throw new Error('unexpected request');
    return a;
  });
  const api = createApi(new ApiClient({ getAccessToken: () => 'tok', fetch: fetchImpl as unknown as typeof fetch }));
  return { api, calls };
}
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers } });
const order = { id: 'o1', total: 10, status: 'CANCELLED', items: [], nextStatuses: [], timeline: [] };

describe('order endpoints', () => {
  it('lists filter by status only when one is chosen', async () => {
    const s = server([json(200, { content: [], totalElements: 0, totalPages: 0, number: 0, size: 10 }), json(200, [])]);
    await s.api.listMyOrders({ page: 1, size: 10, status: 'SHIPPED' });
    await s.api.adminListOrders({ page: 0, status: undefined });
    expect(s.calls[0].url).toBe('/ecom/orders?page=1&size=10&status=SHIPPED');
    expect(s.calls[1].url).toBe('/ecom/admin/orders?page=0');
  });

  it('a cancel spends a CSRF token and sends the reason, trimmed; the next write spends the token it handed out', async () => {
    const s = server([json(200, { token: 'c1' }), json(200, order, { 'X-CSRF-Token': 'c2' }), json(200, order, { 'X-CSRF-Token': 'c3' })]);
    expect(await s.api.cancelMyOrder('o1', '  Wrong book ')).toEqual(order);
    const cancel = s.calls[1];
    expect(cancel).toMatchObject({ method: 'POST', url: '/ecom/orders/o1/cancel', body: '{"reason":"Wrong book"}' });
    expect(cancel.headers['X-CSRF-Token']).toBe('c1');
    await s.api.adminShipOrder('o1', { carrier: 'UPS', trackingNumber: ' ' });
    expect(s.calls[2]).toMatchObject({ url: '/ecom/admin/orders/o1/ship', body: '{"carrier":"UPS"}' });
    expect(s.calls[2].headers['X-CSRF-Token']).toBe('c2');
  });

  it('deliver and an admin cancel without a reason send an empty body', async () => {
    const s = server([json(200, { token: 'c1' }), json(200, order, { 'X-CSRF-Token': 'c2' }), json(200, order)]);
    await s.api.adminDeliverOrder('o/1');
    await s.api.adminCancelOrder('o1');
    expect(s.calls[1]).toMatchObject({ url: '/ecom/admin/orders/o%2F1/deliver', body: '{}' });
    expect(s.calls[2]).toMatchObject({ url: '/ecom/admin/orders/o1/cancel', body: '{}' });
  });

  it('a move the order does not allow is a 409 ApiError with the server’s detail and statuses', async () => {
    const s = server([
      json(200, { token: 'c1' }),
      json(409, { type: '/problems/order-status', title: 'Conflict', status: 409, detail: 'The order is SHIPPED; it can only move to DELIVERED.', currentStatus: 'SHIPPED', allowedStatuses: ['DELIVERED'] }),
    ]);
    const e = await s.api.cancelMyOrder('o1').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).isConflict).toBe(true);
    expect((e as ApiError).userMessage).toBe('The order is SHIPPED; it can only move to DELIVERED.');
    expect((e as ApiError).problem).toMatchObject({ currentStatus: 'SHIPPED', allowedStatuses: ['DELIVERED'] });
  });

  it('moveBody leaves out empty and blank fields', () => {
    expect(moveBody({ carrier: ' DHL ', trackingNumber: '', reason: undefined, x: null })).toEqual({ carrier: 'DHL' });
  });
});

describe('order streams', () => {
  it('routes ready, resync and order events to their handlers; ignores the rest', () => {
    const h = { onReady: vi.fn(), onResync: vi.fn(), onEvent: vi.fn() };
    expect(dispatchOrderMessage({ event: 'ready', data: '{}' }, h)).toBe('ready');
    expect(dispatchOrderMessage({ event: 'resync', data: '{"missed":3}' }, h)).toBe('resync');
    expect(dispatchOrderMessage({ event: 'order.shipped', data: '{"orderId":"o1","status":"SHIPPED","carrier":"UPS"}', id: 'e9' }, h)).toBe('event');
    expect(dispatchOrderMessage({ event: 'message', data: 'hello' }, h)).toBeNull();
    expect(dispatchOrderMessage({ event: 'order.shipped', data: '{broken' }, h)).toBeNull();
    expect(h.onReady).toHaveBeenCalledTimes(1);
    expect(h.onResync).toHaveBeenCalledTimes(1);
    expect(h.onEvent).toHaveBeenCalledWith({ type: 'order.shipped', orderId: 'o1', status: 'SHIPPED', carrier: 'UPS', id: 'e9' });
  });

  it('the page’s status: connecting, live on ready, reconnecting after a drop, unavailable when refused', () => {
    expect(liveStatusFor('connecting', false, 'off')).toBe('connecting');
    expect(liveStatusFor('open', false, 'connecting')).toBe('connecting'); // live only once `ready` came
    expect(liveStatusFor('open', false, 'live')).toBe('live');
    expect(liveStatusFor('retrying', true, 'live')).toBe('reconnecting');
    expect(liveStatusFor('connecting', false, 'reconnecting')).toBe('reconnecting');
    expect(liveStatusFor('connecting', false, 'live')).toBe('reconnecting');
    expect(liveStatusFor('closed', true, 'connecting')).toBe('unavailable');
    expect(liveStatusFor('closed', false, 'live')).toBe('off');
  });
});
