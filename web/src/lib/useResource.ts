import { useCallback, useEffect, useRef, useState } from 'react';

export type Resource<T> =
  | { status: 'loading'; data?: T; error?: undefined; reload: () => void }
  | { status: 'ready'; data: T; error?: undefined; reload: () => void }
  | { status: 'error'; data?: T; error: unknown; reload: () => void };

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

  return { ...state, reload } as Resource<T>;
}
