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
 * Fetch wrapper for the Bookstore API: Bearer token, CSRF token on writes, problem+json errors as ApiError.
 *
 * CSRF tokens are single use (docs/API.md): every answer to a write hands out the next token in `X-CSRF-Token`,
 * which the next write spends; a write that finds none held asks GET /csrf/token. A refused write (403) carries a
 * fresh token (header, and `token` in its problem body): the client retries once with it, without another round
 * trip. Tokens live in this object's memory only.
 */
export class ApiClient {
  private readonly baseUrl: string;
  private readonly getAccessToken: ApiClientOptions['getAccessToken'];
  private readonly onUnauthorized?: ApiClientOptions['onUnauthorized'];
  private readonly fetchImpl: typeof fetch;
  /** The token the next write spends, as the last answer handed it out; null when none is held. */
  private csrfToken: string | null = null;
  /** The server answered GET /csrf/token with 404: writes go without the header until a 403 says otherwise. */
  private csrfUnsupported = false;

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
    this.csrfUnsupported = false;
  }

  /**
   * A CSRF token for one write: the held one (taken, so no other write spends it too), else a fresh one from
   * GET /csrf/token. `null` when the server has no CSRF endpoint (404).
   */
  async takeCsrf(): Promise<string | null> {
    if (this.csrfUnsupported) return null;
    const held = this.csrfToken;
    if (held) {
      this.csrfToken = null;
      return held;
    }
    let res: Response;
    try {
      res = await this.send('GET', '/csrf/token', {});
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        this.csrfUnsupported = true;
        return null;
      }
      throw e;
    }
    const body = (await res.json()) as { token?: unknown };
    if (typeof body?.token !== 'string' || !body.token) {
      throw new ApiError({ status: res.status, title: 'Invalid CSRF token response' });
    }
    return body.token;
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
    const token = await this.takeCsrf();
    try {
      return await this.send(method, path, opts, token ?? undefined);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 403) throw e;
      // The token was stale, spent or missing: the refusal handed out a fresh one (kept by send(), and in the
      // problem body). Retry once with it; a server that handed none out is asked for one.
      const handed = typeof e.problem?.token === 'string' ? e.problem.token : null;
      this.csrfUnsupported = false;
      const retry = this.csrfToken ?? handed;
      this.csrfToken = null;
      return this.send(method, path, opts, (retry ?? (await this.takeCsrf())) ?? undefined);
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
    if (WRITES.has(method)) {
      // Every answer to a write hands out the token the next write spends.
      const next = res.headers.get('X-CSRF-Token');
      if (next) this.csrfToken = next;
    }
    if (res.ok) return res;
    const err = await errorFromResponse(res);
    if (err.status === 401 && access) this.onUnauthorized?.(err);
    throw err;
  }
}
