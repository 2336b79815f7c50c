// @vitest-environment jsdom
import { act, cleanup, render } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthContext, type AuthContextValue } from '../auth/AuthProvider';
import type { AuthState } from '../auth/state';
import type { OrderEvent } from './types';
import { useEventStream, type LiveStatus } from './useEventStream';

/** A session as the AuthProvider would give it. */
function session(token: string | null, sub = 'user1'): AuthContextValue {
  const state: AuthState = token ? { status: 'signedIn', user: { sub, name: sub, roles: ['customer'], isAdmin: false, accessToken: token } } : { status: 'signedOut', user: null };
  return {
    ...state,
    config: { authority: 'http://x/auth', clientId: 'ui-client', apiBaseUrl: '', loginMode: 'popup' } as AuthContextValue['config'],
    signIn: async () => true,
    signOut: async () => undefined,
    markExpired: () => undefined,
    dismissError: () => undefined,
    getAccessToken: () => token,
    completeRedirect: async () => '/',
  };
}

type Req = { url: string; auth?: string; signal: AbortSignal; write: (s: string) => void };
let requests: Req[];

beforeEach(() => {
  requests = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      let ctl!: ReadableStreamDefaultController<Uint8Array>;
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          ctl = c;
        },
      });
      const signal = init!.signal!;
      signal.addEventListener('abort', () => {
        try {
          ctl.error(new DOMException('aborted', 'AbortError'));
        } catch {
          /* closed */
        }
      });
      requests.push({ url: String(input), auth: (init?.headers as Record<string, string>).Authorization, signal, write: (s) => ctl.enqueue(new TextEncoder().encode(s)) });
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    }),
  );
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const flush = () => act(async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
});

function Probe({ path, onEvent, onReady, seen }: { path: string | null; onEvent?: (e: OrderEvent) => void; onReady?: () => void; seen: LiveStatus[] }) {
  const status = useEventStream(path, { onEvent, onReady });
  seen.push(status);
  return <p>{status}</p>;
}

describe('useEventStream', () => {
  it('follows the stream while signed in: live on ready, events to the handler', async () => {
    const seen: LiveStatus[] = [];
    const onEvent = vi.fn();
    const onReady = vi.fn();
    const view = render(
      <AuthContext.Provider value={session('t1')}>
        <Probe path="/ecom/orders/o1/events" onEvent={onEvent} onReady={onReady} seen={seen} />
      </AuthContext.Provider>,
    );
    await flush();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ url: '/ecom/orders/o1/events', auth: 'Bearer t1' });
    expect(view.container.textContent).toBe('connecting');
    requests[0].write('event: ready\ndata: {}\n\nevent: order.shipped\nid: 1\ndata: {"orderId":"o1","status":"SHIPPED"}\n\n');
    await flush();
    expect(view.container.textContent).toBe('live');
    expect(onReady).toHaveBeenCalledTimes(1);
    expect(onEvent).toHaveBeenCalledWith(expect.objectContaining({ orderId: 'o1', status: 'SHIPPED', type: 'order.shipped' }));
  });

  it('a renewed token opens the stream again with it; signing out and unmounting stop it', async () => {
    const seen: LiveStatus[] = [];
    const tree = (token: string | null) => (
      <AuthContext.Provider value={session(token)}>
        <Probe path="/ecom/admin/events" seen={seen} />
      </AuthContext.Provider>
    );
    const view = render(tree('t1'));
    await flush();
    requests[0].write('event: ready\ndata: {}\n\n');
    await flush();
    view.rerender(tree('t2'));
    await flush();
    expect(requests[0].signal.aborted).toBe(true);
    expect(requests).toHaveLength(2);
    expect(requests[1].auth).toBe('Bearer t2');
    expect(view.container.textContent).toBe('reconnecting');
    requests[1].write('event: ready\ndata: {}\n\n');
    await flush();
    expect(view.container.textContent).toBe('live');

    view.rerender(tree(null)); // signed out
    await flush();
    expect(requests[1].signal.aborted).toBe(true);
    expect(requests).toHaveLength(2);
    expect(view.container.textContent).toBe('off');

    view.rerender(tree('t3')); // signed in again
    await flush();
    expect(requests).toHaveLength(3);
    view.unmount();
    expect(requests[2].signal.aborted).toBe(true);
  });

  it('no path, no stream', async () => {
    const seen: LiveStatus[] = [];
    const view = render(
      <AuthContext.Provider value={session('t1')}>
        <Probe path={null} seen={seen} />
      </AuthContext.Provider>,
    );
    await flush();
    expect(requests).toHaveLength(0);
    expect(view.container.textContent).toBe('off');
  });
});
