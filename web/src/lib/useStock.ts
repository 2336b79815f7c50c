import { useApi } from '../api/ApiProvider';
import type { Stock, Uuid } from '../api/types';
import { useResource } from './useResource';

/** Stock for a set of books via /inven/stock/bulk (chunked by 50). */
export function useStock(bookIds: Uuid[], refreshKey: unknown = 0) {
  const api = useApi();
  const key = [...new Set(bookIds)].sort().join(',');
  const res = useResource<Record<Uuid, Stock>>((signal) => (key ? api.bulkStock(key.split(','), signal) : Promise.resolve({})), [key, api, refreshKey]);
  return { stocks: res.data ?? {}, loading: res.status === 'loading' && !res.data, failed: res.status === 'error', reload: res.reload };
}
