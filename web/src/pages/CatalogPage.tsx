import { useEffect } from 'react';
import { useSearchParams } from 'react-router';
import { useApi } from '../api/ApiProvider';
import type { BookSort } from '../api/types';
import { BookCard } from '../components/BookCard';
import { Pagination } from '../components/Pagination';
import { Empty, ErrorState, Loading } from '../components/States';
import { plural } from '../lib/format';
import { useResource } from '../lib/useResource';
import { useStock } from '../lib/useStock';

const SORTS: { value: BookSort; label: string }[] = [
  { value: 'title', label: 'Title A–Z' },
  { value: 'title,desc', label: 'Title Z–A' },
  { value: 'author', label: 'Author A–Z' },
  { value: 'price', label: 'Price: low to high' },
  { value: 'price,desc', label: 'Price: high to low' },
  { value: 'publishedYear,desc', label: 'Newest editions' },
  { value: 'createdAt,desc', label: 'Recently added' },
];

const intParam = (v: string | null, dflt: number, min: number, max: number) => {
  const n = v === null ? NaN : Number.parseInt(v, 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : dflt;
};

export default function CatalogPage() {
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const page = intParam(params.get('page'), 0, 0, 100000);
  const size = intParam(params.get('size'), 12, 1, 100);
  const sortParam = params.get('sort') as BookSort | null;
  const sort: BookSort = SORTS.some((s) => s.value === sortParam) ? (sortParam as BookSort) : 'title';

  useEffect(() => {
    document.title = 'Catalog · Bookstore';
  }, []);

  const books = useResource((signal) => api.listBooks({ page, size, sort }, signal), [api, page, size, sort]);
  const content = books.data?.content ?? [];
  const { stocks, loading: stockLoading, failed: stockFailed, reload: reloadStock } = useStock(content.map((b) => b.id));

  const update = (next: Record<string, string | number | null>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(next)) {
      if (v === null) p.delete(k);
      else p.set(k, String(v));
    }
    setParams(p);
    window.scrollTo({ top: 0 });
  };

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Catalog</h1>
          {books.data && <p className="muted">{plural(books.data.totalElements, 'book')}</p>}
        </div>
        <div className="field field-inline">
          <label htmlFor="sort">Sort by</label>
          <select id="sort" value={sort} onChange={(e) => update({ sort: e.target.value, page: null })}>
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {books.status === 'error' ? (
        <ErrorState error={books.error} onRetry={books.reload} />
      ) : !books.data ? (
        <Loading label="Loading books…" />
      ) : content.length === 0 ? (
        <Empty title={page > 0 ? 'No books on this page' : 'No books yet'}>{page > 0 ? 'Try the first page.' : 'The catalog is empty. Check back soon.'}</Empty>
      ) : (
        <>
          {stockFailed && (
            <p className="notice notice-warn" role="status">
              Stock levels could not be loaded, so availability is not shown.{' '}
              <button className="link-button" onClick={reloadStock}>
                Try again
              </button>
            </p>
          )}
          <ul className="book-grid" aria-busy={books.status === 'loading'} aria-label="Books">
            {content.map((b) => (
              <BookCard key={b.id} book={b} stock={stocks[b.id]} stockLoading={stockLoading} />
            ))}
          </ul>
          <Pagination page={books.data.number} totalPages={books.data.totalPages} onPage={(p) => update({ page: p })} label="Catalog pages" />
        </>
      )}
    </div>
  );
}
