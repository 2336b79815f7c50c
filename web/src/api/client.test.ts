import { describe, expect, it, vi } from 'vitest';
import { ApiClient, buildUrl } from './client';
import { createApi, freshnessSeconds } from './endpoints';
import { ApiError, extractFieldErrors, messagesFor } from './errors';
import { pageFromHeaders, toPage } from './page';

type Call = { method: string; url: string; headers: Record<string, string>; body?: string };

const json = (status: number, body: unknown, type = 'application/json', extra: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': type, ...extra } });
const problem = (status: number, body: Record<string, unknown>) => json(status, { type: 'about:blank', status, ...body }, 'application/problem+json');

/** A scripted fake server: each handler answers one matching request, in order. */
function fakeServer(handlers: ((c: Call) => Response | undefined)[]) {
  const calls: Call[] = [];
  const queue = [...handlers];
  const fetchImpl = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const c: Call = { method: init?.method ?? 'GET', url: String(input), headers: { ...(init?.headers as Record<string, string>) }, body: init?.body as string | undefined };
    calls.push(c);
    const h = queue.shift();
    const res = h?.(c);
    if (!res) throw new Error(`unexpected request ${c.method} ${c.url}`);
    return res;
  });
  return { calls, fetchImpl: fetchImpl as unknown as typeof fetch };
}

const client = (fetchImpl: typeof fetch, token: string | null = 'tok', onUnauthorized = vi.fn()) => new ApiClient({ getAccessToken: () => token, fetch: fetchImpl, onUnauthorized });

describe('ApiClient', () => {
  it('GET sends the bearer token and no CSRF token', async () => {
    const s = fakeServer([() => json(200, { ok: 1 })]);
    expect(await client(s.fetchImpl).request('GET', '/ecom/cart')).toEqual({ ok: 1 });
    expect(s.calls[0].headers.Authorization).toBe('Bearer tok');
    expect(s.calls[0].headers['X-CSRF-Token']).toBeUndefined();
  });

  it('anonymous requests carry no Authorization header', async () => {
    const s = fakeServer([() => json(200, [])]);
    await client(s.fetchImpl, null).request('GET', '/ecom/books');
    expect(s.calls[0].headers.Authorization).toBeUndefined();
  });

  it('a write with no token held fetches one; each next write spends the token the last answer handed out', async () => {
    const s = fakeServer([
      () => json(200, { token: 'c1' }),
      () => json(201, { id: 'i1' }, 'application/json', { 'x-csrf-token': 'c2' }),
      () => new Response(null, { status: 204, headers: { 'x-csrf-token': 'c3' } }),
      () => json(200, { id: 'i2' }, 'application/json', { 'x-csrf-token': 'c4' }),
    ]);
    const c = client(s.fetchImpl);
    await c.request('POST', '/ecom/cart', { body: { bookId: 'b', quantity: 1 } });
    await c.request('DELETE', '/ecom/cart/i1');
    await c.request('PUT', '/ecom/cart/i2', { body: { quantity: 2 } });
    expect(s.calls.map((x) => `${x.method} ${x.url} ${x.headers['X-CSRF-Token'] ?? '-'}`)).toEqual([
      'GET /csrf/token -',
      'POST /ecom/cart c1',
      'DELETE /ecom/cart/i1 c2',
      'PUT /ecom/cart/i2 c3',
    ]);
    expect(s.calls[1].headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(s.calls[1].body!)).toEqual({ bookId: 'b', quantity: 1 });
  });

  it('concurrent writes never share a token (each is single use)', async () => {
    const s = fakeServer([() => json(200, { token: 'c1' }), () => json(200, { token: 'c2' }), () => json(200, {}), () => json(200, {})]);
    const c = client(s.fetchImpl);
    await Promise.all([c.request('PUT', '/ecom/cart/a', { body: { quantity: 2 } }), c.request('PUT', '/ecom/cart/b', { body: { quantity: 3 } })]);
    const sent = s.calls.filter((x) => x.method === 'PUT').map((x) => x.headers['X-CSRF-Token']);
    expect(new Set(sent)).toEqual(new Set(['c1', 'c2']));
  });

  it('on a 403 retries once with the token the refusal handed out, without asking for another', async () => {
    const s = fakeServer([
      () => json(200, { token: 'old' }),
      () => json(403, { type: '/problems/csrf', status: 403, title: 'Forbidden', token: 'handed' }, 'application/problem+json', { 'x-csrf-token': 'handed' }),
      () => json(201, { id: 'x' }, 'application/json', { 'x-csrf-token': 'next' }),
      () => json(200, { id: 'x' }),
    ]);
    const c = client(s.fetchImpl);
    expect(await c.request('POST', '/ecom/cart', { body: {} })).toEqual({ id: 'x' });
    await c.request('POST', '/ecom/cart', { body: {} });
    expect(s.calls.map((x) => `${x.url} ${x.headers['X-CSRF-Token'] ?? '-'}`)).toEqual([
      '/csrf/token -',
      '/ecom/cart old',
      '/ecom/cart handed',
      '/ecom/cart next',
    ]);
  });

  it('on a 403 that hands out no token, fetches one and retries once', async () => {
    const s = fakeServer([
      () => json(200, { token: 'old' }),
      () => problem(403, { title: 'Forbidden', detail: 'invalid CSRF token' }),
      () => json(200, { token: 'new' }),
      () => json(201, { id: 'x' }),
    ]);
    expect(await client(s.fetchImpl).request('POST', '/ecom/cart', { body: {} })).toEqual({ id: 'x' });
    expect(s.calls.map((x) => x.headers['X-CSRF-Token'] ?? '-')).toEqual(['-', 'old', '-', 'new']);
  });

  it('a server without GET /csrf/token (404) still takes writes, without the header', async () => {
    const s = fakeServer([
      () => problem(404, { title: 'Not Found' }),
      () => json(201, { id: 'i1' }),
      () => new Response(null, { status: 204 }),
    ]);
    const c = client(s.fetchImpl);
    expect(await c.request('POST', '/ecom/cart', { body: {} })).toEqual({ id: 'i1' });
    await c.request('DELETE', '/ecom/cart/i1');
    expect(s.calls.map((x) => `${x.method} ${x.url} ${x.headers['X-CSRF-Token'] ?? '-'}`)).toEqual(['GET /csrf/token -', 'POST /ecom/cart -', 'DELETE /ecom/cart/i1 -']);
  });

  it('after a 404 from /csrf/token, a 403 on a write fetches a token after all and retries once', async () => {
    const s = fakeServer([
      () => problem(404, { title: 'Not Found' }),
      () => problem(403, { title: 'Forbidden', detail: 'This write needs an X-CSRF-Token header' }),
      () => json(200, { token: 'now' }),
      () => json(201, { id: 'x' }),
    ]);
    expect(await client(s.fetchImpl).request('POST', '/ecom/cart', { body: {} })).toEqual({ id: 'x' });
    expect(s.calls.map((x) => x.headers['X-CSRF-Token'] ?? '-')).toEqual(['-', '-', '-', 'now']);
  });

  it('a second 403 is final: ApiError 403, no third attempt', async () => {
    const s = fakeServer([
      () => json(200, { token: 'a' }),
      () => problem(403, { title: 'Forbidden', detail: 'role admin required' }),
      () => json(200, { token: 'b' }),
      () => problem(403, { title: 'Forbidden', detail: 'role admin required' }),
    ]);
    const err = await client(s.fetchImpl).request('POST', '/ecom/admin/books', { body: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 403, title: 'Forbidden', detail: 'role admin required' });
    expect(s.calls).toHaveLength(4);
  });

  it('a GET answered 403 is not retried', async () => {
    const s = fakeServer([() => problem(403, { title: 'Forbidden' })]);
    await expect(client(s.fetchImpl).request('GET', '/ecom/admin/books')).rejects.toMatchObject({ status: 403 });
    expect(s.calls).toHaveLength(1);
  });

  it('parses problem+json into title/detail/status', async () => {
    const s = fakeServer([() => problem(409, { title: 'Insufficient stock', detail: 'Not enough copies of Clean Code' })]);
    const err = (await client(s.fetchImpl).request('GET', '/x').catch((e: unknown) => e)) as ApiError;
    expect(err).toMatchObject({ status: 409, title: 'Insufficient stock', detail: 'Not enough copies of Clean Code', isConflict: true });
    expect(err.userMessage).toBe('Not enough copies of Clean Code');
    expect(err.problem?.type).toBe('about:blank');
  });

  it('422 field errors become a field → messages map', async () => {
    const s = fakeServer([() => problem(422, { title: 'Validation failed', errors: [{ field: 'title', message: 'must not be blank' }, { field: 'price', message: 'must be > 0' }] })]);
    const err = (await client(s.fetchImpl).request('GET', '/x').catch((e: unknown) => e)) as ApiError;
    expect(err.isValidation).toBe(true);
    expect(err.fieldErrors).toEqual({ title: ['must not be blank'], price: ['must be > 0'] });
  });

  it('non-JSON error bodies fall back to a status title', async () => {
    const s = fakeServer([() => new Response('<html>bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } })]);
    await expect(client(s.fetchImpl).request('GET', '/x')).rejects.toMatchObject({ status: 502, title: 'Bad gateway' });
  });

  it('429 carries Retry-After', async () => {
    const s = fakeServer([() => problem(429, { title: 'Too Many Requests' })]);
    s.fetchImpl = (async () => json(429, { title: 'Too Many Requests', status: 429 }, 'application/problem+json', { 'retry-after': '7' })) as unknown as typeof fetch;
    const err = (await client(s.fetchImpl).request('GET', '/x').catch((e: unknown) => e)) as ApiError;
    expect(err.retryAfterSeconds).toBe(7);
    expect(err.userMessage).toMatch(/7 s/);
  });

  it('a network failure is ApiError status 0', async () => {
    const failing = (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    const err = (await client(failing).request('GET', '/x').catch((e: unknown) => e)) as ApiError;
    expect(err).toMatchObject({ status: 0, isNetwork: true });
  });

  it('401 with a token reports an expired session; without a token it does not', async () => {
    const onUnauthorized = vi.fn();
    const s = fakeServer([() => problem(401, { title: 'Unauthorized' }), () => problem(401, { title: 'Unauthorized' })]);
    await client(s.fetchImpl, 'tok', onUnauthorized).request('GET', '/ecom/cart').catch(() => undefined);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    await client(s.fetchImpl, null, onUnauthorized).request('GET', '/ecom/cart').catch(() => undefined);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('204 resolves to undefined; resetCsrf drops the held token', async () => {
    const s = fakeServer([
      () => json(200, { token: 'a' }),
      () => new Response(null, { status: 204, headers: { 'x-csrf-token': 'a2' } }),
      () => json(200, { token: 'b' }),
      () => new Response(null, { status: 204 }),
    ]);
    const c = client(s.fetchImpl);
    expect(await c.request('DELETE', '/ecom/cart/1')).toBeUndefined();
    c.resetCsrf();
    await c.request('DELETE', '/ecom/cart/2');
    expect(s.calls[3].headers['X-CSRF-Token']).toBe('b');
  });

  it('builds URLs with encoded query params, skipping empty ones', () => {
    expect(buildUrl('', '/ecom/books/search', { q: 'kafka & co', page: 0, size: undefined, x: '' })).toBe('/ecom/books/search?q=kafka+%26+co&page=0');
    expect(buildUrl('https://api.example/', '/ecom/books')).toBe('https://api.example/ecom/books');
  });
});

describe('typed endpoints', () => {
  it('bulk stock splits more than 50 ids into several requests and merges the answers', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `id${i}`);
    const seen: string[][] = [];
    const fetchImpl = (async (input: RequestInfo | URL) => {
      const u = new URL(String(input), 'http://x');
      const chunk = u.searchParams.get('book_ids')!.split(',');
      seen.push(chunk);
      return json(200, chunk.map((b) => ({ book_id: b, quantity: 5, reserved: 0, available: 5 })));
    }) as unknown as typeof fetch;
    const api = createApi(client(fetchImpl));
    const out = await api.bulkStock([...ids, 'id0']);
    expect(seen.map((c) => c.length)).toEqual([50, 50, 20]);
    expect(Object.keys(out)).toHaveLength(120);
  });

  it('checkout sends the Idempotency-Key and CSRF token, and tells a replay (200) from a new order (201)', async () => {
    const order = { id: 'o1', total: 10, status: 'CONFIRMED', items: [] };
    const s = fakeServer([() => json(200, { token: 'c' }), () => json(201, order, 'application/json', { 'x-csrf-token': 'c2' }), () => json(200, order)]);
    const api = createApi(client(s.fetchImpl));
    expect((await api.checkout('k-1')).replayed).toBe(false);
    expect((await api.checkout('k-1')).replayed).toBe(true);
    expect(s.calls[1].headers['Idempotency-Key']).toBe('k-1');
    expect(s.calls[1].headers['X-CSRF-Token']).toBe('c');
    expect(s.calls[2].headers['X-CSRF-Token']).toBe('c2');
  });

  it('normalises pages and freshness answers', () => {
    expect(toPage([{ a: 1 }])).toMatchObject({ content: [{ a: 1 }], totalPages: 1, number: 0 });
    expect(toPage({ items: [1, 2], total: 45, page: 2, size: 20 })).toEqual({ content: [1, 2], totalElements: 45, totalPages: 3, number: 2, size: 20 });
    expect(toPage({ content: [], totalElements: 0, totalPages: 0, number: 0, size: 20 }).totalPages).toBe(0);
    // /inven/admin/stock as the backend sends it (snake_case)
    expect(toPage({ content: [1], total_elements: 41, total_pages: 3, number: 1, size: 20 })).toEqual({ content: [1], totalElements: 41, totalPages: 3, number: 1, size: 20 });
    // /inven/admin/stock as upstream answers it: an array, paged through headers
    const headers = new Headers({ 'X-Total-Count': '41' });
    expect(pageFromHeaders([1, 2], headers, { page: 2, size: 20 })).toEqual({ content: [1, 2], totalElements: 41, totalPages: 3, number: 2, size: 20 });
    expect(pageFromHeaders({ content: [1], total_elements: 1 }, new Headers(), { size: 20 }).totalElements).toBe(1);
    expect(freshnessSeconds(1.5)).toBe(1.5);
    expect(freshnessSeconds({ seconds: 3 })).toBe(3);
    expect(freshnessSeconds({ freshness_seconds: '2.5' })).toBe(2.5);
    expect(freshnessSeconds({})).toBeNull();
  });
});

describe('field errors', () => {
  it('accepts the common 422 shapes', () => {
    expect(extractFieldErrors({ errors: { title: ['required'], price: 'too low' } })).toEqual({ title: ['required'], price: ['too low'] });
    expect(extractFieldErrors({ 'invalid-params': [{ name: 'isbn', reason: 'bad checksum' }] })).toEqual({ isbn: ['bad checksum'] });
    expect(extractFieldErrors({ errors: [{ pointer: '/publishedYear', detail: 'in the future' }] })).toEqual({ publishedYear: ['in the future'] });
    expect(extractFieldErrors({ fieldErrors: { author: [{ message: 'required' }] } })).toEqual({ author: ['required'] });
    expect(extractFieldErrors(undefined)).toEqual({});
  });

  it('matches form fields in camelCase or snake_case', () => {
    const errs = { published_year: ['bad'], 'book.coverUrl': ['not a URL'] };
    expect(messagesFor(errs, 'publishedYear')).toEqual(['bad']);
    expect(messagesFor(errs, 'coverUrl')).toEqual(['not a URL']);
    expect(messagesFor(errs, 'title')).toEqual([]);
  });
});
