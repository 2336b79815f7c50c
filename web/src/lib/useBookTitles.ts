import { useEffect, useState } from 'react';
import { useApi } from '../api/ApiProvider';
import type { Uuid } from '../api/types';

const cache = new Map<Uuid, string>();

/** Remember titles we already know (lists of books fill this). */
export function rememberTitles(entries: { id: Uuid; title: string }[]) {
  for (const e of entries) if (e.id && e.title) cache.set(e.id, e.title);
}

/** Titles for book ids, so pages show a title instead of a UUID. Unknown ids are fetched (4 at a time). */
export function useBookTitles(ids: Uuid[]): Record<Uuid, string> {
  const api = useApi();
  const key = [...new Set(ids)].filter(Boolean).sort().join(',');
  const [, setVersion] = useState(0);
  useEffect(() => {
    if (!key) return;
    const missing = key.split(',').filter((id) => !cache.has(id));
    if (missing.length === 0) return;
    const ctl = new AbortController();
    (async () => {
      const queue = [...missing];
      const worker = async () => {
        for (let id = queue.shift(); id; id = queue.shift()) {
          try {
            const b = await api.getBook(id, ctl.signal);
            cache.set(id, b.title);
          } catch {
            /* deleted book: the caller falls back */
          }
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      if (!ctl.signal.aborted) setVersion((v) => v + 1);
    })();
    return () => ctl.abort();
  }, [key, api]);
  const out: Record<Uuid, string> = {};
  for (const id of key ? key.split(',') : []) {
    const t = cache.get(id);
    if (t) out[id] = t;
  }
  return out;
}
