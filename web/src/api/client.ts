import { ApiError, errorFromResponse } from './errors';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const WRITES: ReadonlySet<Method> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  /** Prefix for every path; '' = same origin. */
  baseUrl?: string;
  /** Current access token, or null when signed out. */
  getAccessToken: () => string | null | undefined;
  /** Called when the API answered 401 to a request that carried a token (session expired). */
  onUnauthorized?: (error: ApiError) => void;
  fetch?: typeof fetch;
}

export function buildUrl(baseUrl: string, path: string, query?: Record<string, QueryValue>): string {
  let url = baseUrl.replace(/\/$/, '') + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      params.set(k, String(v));
    }
    const s = params.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  return url;
}

/**
 * Fetch wrapper for the Bookstore API: Bearer token, CSRF token on writes (fetched from
 * GET /csrf/token, refreshed once and retried on a 403), problem+json errors as ApiError.
 */
export class ApiClient {
  private readonly baseUrl: string;
  private readonly getAccessToken: ApiClientOptions['getAccessToken'];
  private readonly onUnauthorized?: ApiClientOptions['onUnauthorized'];
  private readonly fetchImpl: typeof fetch;
  /** null: not fetched yet; '': the server has no CSRF endpoint. */
  private csrfToken: string | null = null;
  private csrfInFlight: Promise<string | null> | null = null;

  constructor(opts: ApiClientOptions) {
    this.baseUrl = opts.baseUrl ?? '';
    this.getAccessToken = opts.getAccessToken;
    this.onUnauthorized = opts.onUnauthorized;
    // Bind so a window.fetch keeps its receiver.
    const f = opts.fetch ?? globalThis.fetch;
    this.fetchImpl = ((input: RequestInfo | URL, init?: RequestInit) => f(input, init)) as typeof fetch;
  }

  /** Forget the CSRF token (it is bound to the user: call on sign-in/sign-out). */
  resetCsrf(): void {
    this.csrfToken = null;
    this.csrfInFlight = null;
  }

  /**
   * The CSRF token, fetched once and shared by concurrent writers; `force` fetches a fresh one.
   * `null` when the server has no CSRF endpoint (404): writes then go without the header, and a
   * 403 still makes the next write look again.
   */
  async csrf(force = false): Promise<string | null> {
    if (!force && this.csrfToken !== null) return this.csrfToken || null;
    if (!force && this.csrfInFlight) return this.csrfInFlight;
    const p = (async () => {
      let res: Response;
      try {
        res = await this.send('GET', '/csrf/token', {});
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) {
          this.csrfToken = '';
          return null;
        }
        throw e;
      }
      const body = (await res.json()) as { token?: unknown };
      if (typeof body?.token !== 'string' || !body.token) {
        throw new ApiError({ status: res.status, title: 'Invalid CSRF token response' });
      }
      this.csrfToken = body.token;
      return body.token;
    })();
    this.csrfInFlight = p;
    try {
      return await p;
    } finally {
      if (this.csrfInFlight === p) this.csrfInFlight = null;
    }
  }

  async request<T>(method: Method, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.raw(method, path, opts);
    if (res.status === 204 || res.status === 205) return undefined as T;
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new ApiError({ status: res.status, title: 'Unreadable response', detail: 'The server sent a response that is not JSON.', cause });
    }
  }

  /** Like request() but returns the Response (status, headers) after error handling. */
  async raw(method: Method, path: string, opts: RequestOptions = {}): Promise<Response> {
    if (!WRITES.has(method)) return this.send(method, path, opts);
    const token = await this.csrf();
    try {
      return await this.send(method, path, opts, token ?? undefined);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 403) throw e;
      // The CSRF token may have expired or been rotated: refresh it once and retry once.
      const fresh = await this.csrf(true);
      return this.send(method, path, opts, fresh ?? undefined);
    }
  }

  private async send(method: Method, path: string, opts: RequestOptions, csrfToken?: string): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json, application/problem+json', ...opts.headers };
    const access = this.getAccessToken();
    if (access) headers.Authorization = `Bearer ${access}`;
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
    let body: BodyInit | undefined;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    let res: Response;
    try {
      res = await this.fetchImpl(buildUrl(this.baseUrl, path, opts.query), {
        method,
        headers,
        body,
        signal: opts.signal,
        credentials: 'same-origin',
      });
    } catch (cause) {
      if ((cause as { name?: string })?.name === 'AbortError') throw cause;
      throw new ApiError({ status: 0, title: 'Network error', detail: 'The server could not be reached.', cause });
    }
    if (res.ok) return res;
    const err = await errorFromResponse(res);
    if (err.status === 401 && access) this.onUnauthorized?.(err);
    throw err;
  }
}
