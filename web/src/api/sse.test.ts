import { describe, expect, it, vi } from 'vitest';
import { SseParser, StreamHttpError, backoffDelay, openEventStream, type SseMessage, type StreamState, type StreamStateInfo } from './sse';

function parse(chunks: string[]) {
  const out: SseMessage[] = [];
  const retries: number[] = [];
  const p = new SseParser(
    (m) => out.push(m),
    (ms) => retries.push(ms),
  );
  for (const c of chunks) p.push(c);
  return { out, retries, p };
}

describe('SseParser', () => {
  it('reads named events with JSON data and ids', () => {
    const { out } = parse(['event: ready\ndata: {}\n\nevent: order.shipped\nid: e1\ndata: {"orderId":"o1","status":"SHIPPED"}\n\n']);
    expect(out).toEqual([
      { event: 'ready', data: '{}' },
      { event: 'order.shipped', data: '{"orderId":"o1","status":"SHIPPED"}', id: 'e1' },
    ]);
  });

  it('puts an event together from chunks split anywhere', () => {
    const text = 'event: order.created\nid: 42\ndata: {"a":1}\n\n';
    for (let size = 1; size <= 7; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      expect(parse(chunks).out).toEqual([{ event: 'order.created', data: '{"a":1}', id: '42' }]);
    }
  });

  it('accepts CRLF, CR and LF line ends, also a CRLF split between chunks', () => {
    expect(parse(['event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\revent: c\ndata: 3\n\n']).out.map((m) => m.event)).toEqual(['a', 'b', 'c']);
    const split = parse(['data: x\r', '\n\r', '\ndata: y\r\n\r\n']).out;
    expect(split).toEqual([
      { event: 'message', data: 'x' },
      { event: 'message', data: 'y' },
    ]);
  });

  it('joins data lines with newlines, keeps a value’s spaces after the first one', () => {
    expect(parse(['data: one\ndata:  two\ndata\ndata:three\n\n']).out[0].data).toBe('one\n two\n\nthree');
  });

  it('skips comments (keep-alives), unknown fields and events without data', () => {
    const { out } = parse([': keep-alive\n\nfoo: bar\nevent: nothing\n\n:another\ndata: ok\n\n']);
    expect(out).toEqual([{ event: 'message', data: 'ok' }]);
  });

  it('the event name does not leak into the next event; the id does (last event id)', () => {
    const { out } = parse(['event: a\nid: 1\ndata: x\n\ndata: y\n\nid\ndata: z\n\n']);
    expect(out).toEqual([
      { event: 'a', data: 'x', id: '1' },
      { event: 'message', data: 'y', id: '1' },
      { event: 'message', data: 'z' },
    ]);
  });

  it('reports retry:, ignores a non-numeric one and an id with NUL', () => {
    const { out, retries } = parse(['retry: 2500\nretry: soon\nid: a\0b\ndata: x\n\n']);
    expect(retries).toEqual([2500]);
    expect(out[0].id).toBeUndefined();
  });

  it('drops a byte-order mark at the start', () => {
    expect(parse(['\uFEFFdata: x\n\n']).out).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('at the end of the stream an event without its blank line is dropped', () => {
    const { out, p } = parse(['data: complete\n\ndata: partial']);
    p.end();
    expect(out).toEqual([{ event: 'message', data: 'complete' }]);
  });
});

describe('backoffDelay', () => {
  it('doubles from 1 s up to 30 s, with ±25 % jitter', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, {}, mid))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoffDelay(0, {}, () => 0)).toBe(750);
    expect(backoffDelay(0, {}, () => 0.9999)).toBe(1250);
    expect(backoffDelay(2, { initialMs: 100, factor: 3, maxMs: 500 }, mid)).toBe(500);
  });
});

// ------------------------------------------------------------------ the client, against a scripted server

/** A streamed response whose body the test writes to. */
function streamed(status = 200, type = 'text/event-stream') {
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      ctl = c;
    },
  });
  const enc = new TextEncoder();
  return {
    response: new Response(body, { status, headers: { 'content-type': type } }),
    write: (s: string) => ctl.enqueue(enc.encode(s)),
    end: () => ctl.close(),
    fail: () => ctl.error(new TypeError('network error')),
  };
}

type Answer = Response | Error | ((init: RequestInit) => Response | Promise<Response>);

function harness(answers: Answer[], tokens: (string | null)[] = ['tok-1']) {
  const requests: { url: string; headers: Record<string, string>; signal: AbortSignal }[] = [];
  let tokenIndex = 0;
  const fetchImpl = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    requests.push({ url: String(input), headers: { ...(init?.headers as Record<string, string>) }, signal: init!.signal! });
    const a = answers.shift();
    if (!a) return new Promise<Response>(() => undefined); // never answers
    if (a instanceof Error) throw a;
    return typeof a === 'function' ? a(init!) : a;
  });
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const messages: SseMessage[] = [];
  const states: [StreamState, StreamStateInfo][] = [];
  const stream = openEventStream({
    url: '/ecom/admin/events',
    getToken: () => tokens[Math.min(tokenIndex++, tokens.length - 1)],
    onMessage: (m) => messages.push(m),
    onState: (s, info) => states.push([s, info]),
    fetch: fetchImpl as unknown as typeof fetch,
    random: () => 0.5,
    setTimeout: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimeout: (h) => {
      (h as { cleared: boolean }).cleared = true;
    },
  });
  /** Run the pending retry timer. */
  const fire = () => {
    const t = timers.filter((x) => !x.cleared).at(-1);
    if (!t) throw new Error('no retry scheduled');
    t.cleared = true;
    t.fn();
  };
  return { stream, requests, messages, states, timers, fire, fetchImpl };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const settle = async () => {
  for (let i = 0; i < 10; i++) await tick();
};
const lastState = (h: { states: [StreamState, StreamStateInfo][] }) => h.states.at(-1)!;

describe('openEventStream', () => {
  it('sends the bearer token and Accept: text/event-stream, and delivers events as they stream', async () => {
    const s = streamed();
    const h = harness([s.response]);
    await settle();
    expect(h.requests[0].url).toBe('/ecom/admin/events');
    expect(h.requests[0].headers).toMatchObject({ Authorization: 'Bearer tok-1', Accept: 'text/event-stream' });
    expect(lastState(h)[0]).toBe('open');
    s.write('event: ready\ndata: {}\n\n');
    await settle();
    expect(h.messages).toEqual([{ event: 'ready', data: '{}' }]);
    s.write('event: order.shipped\nid: 7\ndata: {"orderId":"o1"}\n');
    await settle();
    expect(h.messages).toHaveLength(1); // not complete yet
    s.write('\n');
    await settle();
    expect(h.messages[1]).toEqual({ event: 'order.shipped', data: '{"orderId":"o1"}', id: '7' });
    h.stream.close();
  });

  it('reconnects with backoff when the stream ends, with the token as renewed since', async () => {
    const first = streamed();
    const second = streamed();
    const h = harness([first.response, second.response], ['tok-1', 'tok-2']);
    await settle();
    first.write('event: ready\ndata: {}\n\n');
    first.end();
    await settle();
    expect(lastState(h)[0]).toBe('retrying');
    expect(lastState(h)[1].delayMs).toBe(1000);
    expect(h.requests).toHaveLength(1);
    h.fire();
    await settle();
    expect(h.requests).toHaveLength(2);
    expect(h.requests[1].headers.Authorization).toBe('Bearer tok-2');
    second.write('event: ready\ndata: {}\n\n');
    await settle();
    expect(h.messages.map((m) => m.event)).toEqual(['ready', 'ready']);
    h.stream.close();
  });

  it('backs off exponentially while the server fails, and resets once a connection delivers an event', async () => {
    const ok = streamed();
    const h = harness([new TypeError('fetch failed'), new Response('oops', { status: 503 }), new Response(null, { status: 502 }), ok.response, streamed().response]);
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect(lastState(h)[0]).toBe('retrying');
      delays.push(lastState(h)[1].delayMs!);
      h.fire();
      await settle();
    }
    expect(delays).toEqual([1000, 2000, 4000]);
    expect(h.states.filter(([s]) => s === 'retrying').map(([, i]) => (i.error instanceof StreamHttpError ? i.error.status : 'network'))).toEqual(['network', 503, 502]);
    ok.write('event: ready\ndata: {}\n\n');
    ok.fail();
    await settle();
    expect(lastState(h)[0]).toBe('retrying');
    expect(lastState(h)[1].delayMs).toBe(1000); // reset by the good connection
    h.stream.close();
  });

  it('a connection that opens but delivers nothing does not reset the backoff', async () => {
    const a = streamed();
    const b = streamed();
    const h = harness([a.response, b.response]);
    await settle();
    a.end();
    await settle();
    expect(lastState(h)[1].delayMs).toBe(1000);
    h.fire();
    await settle();
    b.end();
    await settle();
    expect(lastState(h)[1].delayMs).toBe(2000);
    h.stream.close();
  });

  it('honours Retry-After and the server’s retry: field', async () => {
    const s = streamed();
    const h = harness([new Response(null, { status: 429, headers: { 'retry-after': '7' } }), s.response]);
    await settle();
    expect(lastState(h)[1].delayMs).toBe(7000);
    h.fire();
    await settle();
    s.write('retry: 200\nevent: ready\ndata: {}\n\n');
    s.end();
    await settle();
    expect(lastState(h)[1].delayMs).toBe(200);
    h.stream.close();
  });

  it('retries a 401 (the token may renew) but closes on 403 and 404', async () => {
    const h401 = harness([new Response(null, { status: 401 })]);
    await settle();
    expect(lastState(h401)[0]).toBe('retrying');
    h401.stream.close();
    for (const status of [403, 404]) {
      const h = harness([new Response(JSON.stringify({ status }), { status, headers: { 'content-type': 'application/problem+json' } })]);
      await settle();
      const [state, info] = lastState(h);
      expect(state).toBe('closed');
      expect((info.error as StreamHttpError).status).toBe(status);
      expect(h.timers).toHaveLength(0);
    }
  });

  it('closes when the answer is not an event stream (a server without the endpoint)', async () => {
    const h = harness([new Response('<!doctype html><div id="root"></div>', { status: 200, headers: { 'content-type': 'text/html' } })]);
    await settle();
    expect(lastState(h)[0]).toBe('closed');
    expect(h.timers).toHaveLength(0);
  });

  it('drops an event id it has already delivered (at-least-once delivery)', async () => {
    const s = streamed();
    const h = harness([s.response]);
    await settle();
    s.write('event: order.created\nid: a\ndata: 1\n\nevent: order.created\nid: a\ndata: 1\n\nevent: order.shipped\nid: b\ndata: 2\n\n');
    await settle();
    expect(h.messages.map((m) => m.id)).toEqual(['a', 'b']);
    h.stream.close();
  });

  it('close() aborts the request and cancels a pending retry; nothing happens afterwards', async () => {
    const s = streamed();
    const h = harness([s.response]);
    await settle();
    h.stream.close();
    expect(h.requests[0].signal.aborted).toBe(true);
    expect(lastState(h)[0]).toBe('closed');
    const n = h.states.length;
    await settle();
    expect(h.states.length).toBe(n);

    const failing = harness([new TypeError('down')]);
    await settle();
    expect(lastState(failing)[0]).toBe('retrying');
    failing.stream.close();
    expect(failing.timers.every((t) => t.cleared)).toBe(true);
    expect(failing.fetchImpl).toHaveBeenCalledTimes(1);
  });

  it('close() while the request is on its way: the late answer is ignored', async () => {
    let answer!: (r: Response) => void;
    const s = streamed();
    const h = harness([() => new Promise<Response>((r) => (answer = r))]);
    await settle();
    h.stream.close();
    answer(s.response);
    s.write('event: ready\ndata: {}\n\n');
    await settle();
    expect(h.messages).toEqual([]);
    expect(h.timers).toHaveLength(0);
  });

  it('reconnect() drops the connection and connects again at once with the current token', async () => {
    const first = streamed();
    const second = streamed();
    const h = harness([first.response, second.response], ['old', 'renewed']);
    await settle();
    first.write('event: ready\ndata: {}\n\n');
    await settle();
    h.stream.reconnect();
    await settle();
    expect(h.requests[0].signal.aborted).toBe(true);
    expect(h.requests).toHaveLength(2);
    expect(h.requests[1].headers.Authorization).toBe('Bearer renewed');
    expect(h.timers).toHaveLength(0); // no retry scheduled for the dropped connection
    second.write('event: ready\ndata: {}\n\n');
    await settle();
    expect(h.messages).toHaveLength(2);
    h.stream.close();
  });

  it('reconnect() during a backoff wait connects now and cancels the wait', async () => {
    const s = streamed();
    const h = harness([new TypeError('down'), s.response]);
    await settle();
    expect(lastState(h)[0]).toBe('retrying');
    h.stream.reconnect();
    await settle();
    expect(h.timers[0].cleared).toBe(true);
    expect(h.requests).toHaveLength(2);
    expect(lastState(h)[0]).toBe('open');
    h.stream.close();
  });
});
