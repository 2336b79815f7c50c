// Server-Sent Events over fetch: the bookstore's streams are authorized by the bearer token, which EventSource
// cannot send (docs/API.md "Live events"). A parser for the `text/event-stream` format (WHATWG HTML, "Server-sent
// events") and a client that reads a streamed response body and reconnects with backoff.

/** One dispatched event. `event` is `message` when the server named none. */
export interface SseMessage {
  event: string;
  data: string;
  /** The last event id the stream set (the `id:` field), if any. */
  id?: string;
}

/**
 * Incremental `text/event-stream` parser: feed it decoded text as it arrives, in chunks of any size (a line, a
 * field or a CRLF may be split across chunks); it calls `onMessage` for each complete event. Comments (`:` lines,
 * the server's keep-alives) are skipped; `retry:` is passed to `onRetry`.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private hasData = false;
  private eventName = '';
  private lastId: string | undefined;
  private started = false;

  constructor(
    private readonly onMessage: (message: SseMessage) => void,
    private readonly onRetry?: (ms: number) => void,
  ) {}

  push(chunk: string): void {
    if (!chunk) return;
    if (!this.started) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    this.buffer += chunk;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      // A CR at the very end may be the first half of a CRLF still on its way: wait for the next chunk.
      if (c === '\r' && i === this.buffer.length - 1) break;
      this.line(this.buffer.slice(start, i));
      if (c === '\r' && this.buffer[i + 1] === '\n') i++;
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  /**
   * The stream ended. A last line without its terminator is still a line (a lone CR held back is a terminator),
   * but an event without its blank line is dropped, as the format says.
   */
  end(): void {
    if (this.buffer.endsWith('\r')) this.line(this.buffer.slice(0, -1));
    else if (this.buffer) this.line(this.buffer);
    this.buffer = '';
    this.data = [];
    this.hasData = false;
    this.eventName = '';
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventName = value;
        break;
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value || undefined;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.onRetry?.(Number(value));
        break;
      default:
      // Unknown fields are ignored.
    }
  }

  private dispatch(): void {
    const name = this.eventName || 'message';
    const data = this.data.join('\n');
    const had = this.hasData;
    this.data = [];
    this.hasData = false;
    this.eventName = '';
    if (!had) return; // an event with no data is not dispatched
    this.onMessage(this.lastId === undefined ? { event: name, data } : { event: name, data, id: this.lastId });
  }
}

/** `connecting`: a request is on its way; `open`: the server answered with a stream; `retrying`: waiting to
 * reconnect; `closed`: for good (close(), or an answer retrying cannot change, such as 404). */
export type StreamState = 'connecting' | 'open' | 'retrying' | 'closed';

export interface StreamStateInfo {
  /** Reconnects since the last good connection. */
  attempt: number;
  /** How long until the next try (retrying). */
  delayMs?: number;
  /** What ended the last connection: an ApiError-like `{status}` for HTTP answers, else the thrown error. */
  error?: unknown;
}

export interface BackoffOptions {
  /** First delay; the server's `retry:` replaces it. */
  initialMs?: number;
  maxMs?: number;
  factor?: number;
}

export interface EventStreamOptions {
  url: string;
  /** Read before each connection, so a reconnect carries the token as renewed since. */
  getToken: () => string | null | undefined;
  onMessage: (message: SseMessage) => void;
  onState?: (state: StreamState, info: StreamStateInfo) => void;
  backoff?: BackoffOptions;
  fetch?: typeof fetch;
  /** 0 ≤ x < 1; jitter spreads reconnects of many clients after a restart. */
  random?: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

export interface EventStream {
  /** Stop for good: aborts the request, cancels a pending retry. */
  close(): void;
  /** Drop the current connection (if any) and connect again now, e.g. with a renewed token. */
  reconnect(): void;
}

/** An HTTP answer that did not open a stream. */
export class StreamHttpError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(`event stream answered HTTP ${status}`);
    this.name = 'StreamHttpError';
  }
}

/** Answers that retrying will not change: the stream is closed instead (401 is retried: the token may renew). */
const FATAL = new Set([400, 403, 404, 405, 406, 410, 422]);
/** Event ids remembered to drop the repeats of at-least-once delivery. */
const SEEN_IDS = 500;

/** The delay before reconnect number `attempt` (0-based): exponential, capped, with ±25 % jitter. */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = opts.initialMs ?? 1000;
  const max = opts.maxMs ?? 30_000;
  const factor = opts.factor ?? 2;
  const base = Math.min(max, initial * factor ** Math.min(attempt, 30));
  return Math.round(base * (0.75 + random() * 0.5));
}

/**
 * Follow a Server-Sent Events stream with fetch: `Authorization: Bearer <token>`, the body read as it streams.
 * When the stream ends or fails it reconnects after a backoff delay (reset once a connection delivers an event);
 * answers that retrying cannot change (403, 404…) close it. Repeated event ids are dropped.
 */
export function openEventStream(opts: EventStreamOptions): EventStream {
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const random = opts.random ?? Math.random;
  const schedule = opts.setTimeout ?? ((fn: () => void, ms: number) => globalThis.setTimeout(fn, ms));
  const unschedule = opts.clearTimeout ?? ((h: unknown) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>));
  const backoff: BackoffOptions = { ...opts.backoff };
  const seen: string[] = [];
  const seenSet = new Set<string>();

  let closed = false;
  let generation = 0;
  let attempt = 0;
  let controller: AbortController | null = null;
  let timer: unknown = null;

  const setState = (state: StreamState, info: Partial<StreamStateInfo> = {}) => opts.onState?.(state, { attempt, ...info });

  const deliver = (message: SseMessage) => {
    if (message.id !== undefined) {
      if (seenSet.has(message.id)) return;
      seenSet.add(message.id);
      seen.push(message.id);
      if (seen.length > SEEN_IDS) seenSet.delete(seen.shift()!);
    }
    opts.onMessage(message);
  };

  async function run(gen: number, signal: AbortSignal): Promise<{ error: unknown; fatal: boolean }> {
    const token = opts.getToken();
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const res = await doFetch(opts.url, { headers, signal, cache: 'no-store', credentials: 'same-origin' });
    if (!res.ok) {
      void res.body?.cancel().catch(() => undefined);
      const retryAfter = res.headers.get('retry-after');
      const retryAfterMs = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : undefined;
      return { error: new StreamHttpError(res.status, retryAfterMs), fatal: FATAL.has(res.status) };
    }
    const type = res.headers.get('content-type') ?? '';
    if (!type.includes('text/event-stream') || !res.body) {
      // E.g. the web app's index.html from a server without the endpoint: no use asking again.
      void res.body?.cancel().catch(() => undefined);
      return { error: new Error(`not an event stream (${type || 'no content type'})`), fatal: true };
    }
    if (gen !== generation) return { error: null, fatal: false };
    setState('open');
    let delivered = false;
    const parser = new SseParser(
      (m) => {
        if (gen !== generation || closed) return;
        if (!delivered) {
          delivered = true;
          attempt = 0; // a connection that works resets the backoff
        }
        deliver(m);
      },
      (ms) => {
        backoff.initialMs = ms;
      },
    );
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(decoder.decode(value, { stream: true }));
      }
      parser.push(decoder.decode());
      parser.end();
    } finally {
      try {
        reader.releaseLock();
      } catch {
        /* a read still pending after an abort */
      }
    }
    return { error: new Error('the event stream ended'), fatal: false };
  }

  function connect() {
    if (closed) return;
    timer = null;
    const gen = ++generation;
    controller?.abort();
    const ctl = new AbortController();
    controller = ctl;
    setState('connecting');
    run(gen, ctl.signal)
      .catch((error: unknown) => ({ error, fatal: false }))
      .then(({ error, fatal }) => {
        if (closed || gen !== generation) return; // closed, or replaced by reconnect()
        ctl.abort();
        if (fatal) {
          closed = true;
          setState('closed', { error });
          return;
        }
        let delay = backoffDelay(attempt, backoff, random);
        const retryAfterMs = error instanceof StreamHttpError ? error.retryAfterMs : undefined;
        if (retryAfterMs !== undefined) delay = Math.max(delay, retryAfterMs);
        attempt++;
        setState('retrying', { delayMs: delay, error });
        timer = schedule(connect, delay);
      });
  }

  connect();

  return {
    close() {
      if (closed) return;
      closed = true;
      generation++;
      if (timer !== null) unschedule(timer);
      timer = null;
      controller?.abort();
      controller = null;
      setState('closed');
    },
    reconnect() {
      if (closed) return;
      if (timer !== null) unschedule(timer);
      attempt = 0;
      connect();
    },
  };
}
