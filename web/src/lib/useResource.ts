import { useCallback, useEffect, useRef, useState } from 'react';

interface ResourceActions<T> {
  reload: () => void;
  /** Change the data shown (a live event, a write's answer) without loading; a load that finishes later wins. */
  mutate: (fn: (data: T | undefined) => T | undefined) => void;
}

export type Resource<T> =
  | ({ status: 'loading'; data?: T; error?: undefined } & ResourceActions<T>)
  | ({ status: 'ready'; data: T; error?: undefined } & ResourceActions<T>)
  | ({ status: 'error'; data?: T; error: unknown } & ResourceActions<T>);

/**
 * Load data for a page: loading → ready | error, with reload (the "Try again" buttons).
 * The previous data stays visible while reloading; stale answers are ignored.
 */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[], enabled = true): Resource<T> {
  const [state, setState] = useState<{ status: 'loading' | 'ready' | 'error'; data?: T; error?: unknown }>({ status: 'loading' });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const mutate = useCallback((fn: (data: T | undefined) => T | undefined) => setState((s) => ({ ...s, data: fn(s.data) })), []);

  useEffect(() => {
    if (!enabled) return;
    const ctl = new AbortController();
    setState((s) => ({ status: 'loading', data: s.data }));
    loadRef.current(ctl.signal).then(
      (data) => {
        if (!ctl.signal.aborted) setState({ status: 'ready', data });
      },
      (error: unknown) => {
        if (!ctl.signal.aborted) setState((s) => ({ status: 'error', data: s.data, error }));
      },
    );
    return () => ctl.abort();
  }, [...deps, tick, enabled]);

  return { ...state, reload, mutate } as Resource<T>;
}
