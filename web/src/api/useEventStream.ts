import { useEffect, useRef, useState } from 'react';
import { useAuth } from '../auth/AuthProvider';
import { parseOrderEvent } from '../lib/orders';
import { buildUrl } from './client';
import { openEventStream, type EventStream, type SseMessage, type StreamState } from './sse';
import type { OrderEvent } from './types';

/** What the page tells its users: `live` once the server said `ready`. */
export type LiveStatus = 'off' | 'connecting' | 'live' | 'reconnecting' | 'unavailable';

export interface OrderStreamHandlers {
  /** Subscribed (first connection and every reconnect): reload what is shown once, then follow the events. */
  onReady?: () => void;
  /** The server says events were missed: reload. */
  onResync?: () => void;
  onEvent?: (event: OrderEvent) => void;
}

/** The page's status after a stream state change (`ready` itself makes it `live`). */
export function liveStatusFor(state: StreamState, failed: boolean, previous: LiveStatus): LiveStatus {
  switch (state) {
    case 'connecting':
      return previous === 'live' || previous === 'reconnecting' ? 'reconnecting' : 'connecting';
    case 'open':
      return previous === 'live' ? 'live' : previous;
    case 'retrying':
      return 'reconnecting';
    case 'closed':
      return failed ? 'unavailable' : 'off';
  }
}

/** Route one SSE message to the handlers. */
export function dispatchOrderMessage(m: SseMessage, h: OrderStreamHandlers): 'ready' | 'resync' | 'event' | null {
  if (m.event === 'ready') {
    h.onReady?.();
    return 'ready';
  }
  if (m.event === 'resync') {
    h.onResync?.();
    return 'resync';
  }
  const ev = parseOrderEvent(m.event, m.data, m.id);
  if (!ev) return null;
  h.onEvent?.(ev);
  return 'event';
}

/**
 * Follow an order event stream (`/ecom/orders/{id}/events`, `/ecom/admin/events`) while the component is mounted
 * and a user is signed in; `path` null = not now. Reconnects with backoff when the stream ends or fails, and at
 * once with the new token after a silent renew; stops on unmount and on sign-out.
 */
export function useEventStream(path: string | null, handlers: OrderStreamHandlers): LiveStatus {
  const auth = useAuth();
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;
  const authRef = useRef(auth);
  authRef.current = auth;
  const [status, setStatus] = useState<LiveStatus>('off');
  const streamRef = useRef<EventStream | null>(null);

  const signedIn = auth.status === 'signedIn' && !!auth.user;
  const sub = auth.user?.sub ?? null;
  const token = auth.user?.accessToken ?? null;
  const baseUrl = auth.config.apiBaseUrl ?? '';

  useEffect(() => {
    if (!path || !signedIn) {
      setStatus('off');
      return;
    }
    setStatus('connecting');
    const stream = openEventStream({
      url: buildUrl(baseUrl, path),
      getToken: () => authRef.current.getAccessToken(),
      onMessage: (m) => {
        if (dispatchOrderMessage(m, handlersRef.current) === 'ready') setStatus('live');
      },
      onState: (state, info) => setStatus((prev) => liveStatusFor(state, info.error !== undefined && info.error !== null, prev)),
    });
    streamRef.current = stream;
    return () => {
      streamRef.current = null;
      stream.close();
    };
  }, [path, signedIn, sub, baseUrl]);

  // A silent renew hands out a new access token: follow with it (the old one will expire under the stream).
  const lastToken = useRef(token);
  useEffect(() => {
    if (token && lastToken.current && token !== lastToken.current) streamRef.current?.reconnect();
    lastToken.current = token;
  }, [token]);

  return status;
}
