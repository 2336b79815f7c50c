import { describe, expect, it, vi } from 'vitest';
import { CheckoutAttempt } from './checkout';
import { ApiError } from './errors';
import type { Order } from './types';

const order: Order = { id: 'o1', total: 10, status: 'CONFIRMED', items: [] };

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const keys = () => {
  let n = 0;
  return () => `key-${++n}`;
};

describe('CheckoutAttempt (Idempotency-Key per attempt)', () => {
  it('a double click sends one request with one key and both clicks get the same order', async () => {
    const d = deferred<{ order: Order; replayed: boolean }>();
    const send = vi.fn(() => d.promise);
    const a = new CheckoutAttempt(send, keys());
    const p1 = a.submit();
    const p2 = a.submit();
    expect(send).toHaveBeenCalledTimes(1);
    expect(send).toHaveBeenCalledWith('key-1');
    d.resolve({ order, replayed: false });
    expect(await p1).toEqual(await p2);
  });

  it('after a network error the retry reuses the same key (the server dedupes)', async () => {
    const send = vi
      .fn()
      .mockRejectedValueOnce(new ApiError({ status: 0, title: 'Network error' }))
      .mockRejectedValueOnce(new ApiError({ status: 503, title: 'Service unavailable' }))
      .mockResolvedValueOnce({ order, replayed: true });
    const a = new CheckoutAttempt(send, keys());
    await expect(a.submit()).rejects.toMatchObject({ status: 0 });
    await expect(a.submit()).rejects.toMatchObject({ status: 503 });
    await a.submit();
    expect(send.mock.calls.map((c) => c[0])).toEqual(['key-1', 'key-1', 'key-1']);
  });

  it('after a definite failure (409 insufficient stock) the next attempt gets a new key', async () => {
    const send = vi.fn().mockRejectedValueOnce(new ApiError({ status: 409, title: 'Conflict' })).mockResolvedValueOnce({ order, replayed: false });
    const a = new CheckoutAttempt(send, keys());
    await expect(a.submit()).rejects.toMatchObject({ status: 409 });
    await a.submit();
    expect(send.mock.calls.map((c) => c[0])).toEqual(['key-1', 'key-2']);
  });

  it('after a success the next checkout is a new attempt; reset() also starts one', async () => {
    const send = vi.fn().mockRejectedValueOnce(new ApiError({ status: 0, title: 'x' })).mockResolvedValue({ order, replayed: false });
    const a = new CheckoutAttempt(send, keys());
    await a.submit().catch(() => undefined);
    expect(a.currentKey).toBe('key-1');
    a.reset(); // the cart changed
    await a.submit();
    await a.submit();
    expect(send.mock.calls.map((c) => c[0])).toEqual(['key-1', 'key-2', 'key-3']);
  });

  it('reset() while a request is in flight does not change its key', async () => {
    const d = deferred<{ order: Order; replayed: boolean }>();
    const send = vi.fn(() => d.promise);
    const a = new CheckoutAttempt(send, keys());
    const p = a.submit();
    a.reset();
    expect(a.currentKey).toBe('key-1');
    expect(a.pending).toBe(true);
    d.resolve({ order, replayed: false });
    await p;
    expect(a.pending).toBe(false);
  });

  it('uses crypto.randomUUID by default', async () => {
    const send = vi.fn().mockResolvedValue({ order, replayed: false });
    await new CheckoutAttempt(send).submit();
    expect(send.mock.calls[0][0]).toMatch(/^[0-9a-f-]{36}$/);
  });
});
