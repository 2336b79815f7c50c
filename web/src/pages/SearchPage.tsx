import { useEffect } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useApi } from '../api/ApiProvider';
import { BookCard } from '../components/BookCard';
import { Pagination } from '../components/Pagination';
import { Empty, ErrorState, Loading } from '../components/States';
import { plural } from '../lib/format';
import { useResource } from '../lib/useResource';
import { useStock } from '../lib/useStock';

export default function SearchPage() {
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const q = (params.get('q') ?? '').trim().slice(0, 200);
  const page = Math.max(0, Number.parseInt(params.get('page') ?? '0', 10) || 0);

  useEffect(() => {
    document.title = q ? `“${q}” · Search · Bookstore` : 'Search · Bookstore';
  }, [q]);

  const results = useResource((signal) => api.searchBooks(q, { page, size: 12 }, signal), [api, q, page], q.length > 0);
  const content = results.data?.content ?? [];
  const { stocks, loading: stockLoading } = useStock(q ? content.map((b) => b.id) : []);

  if (!q) {
    return (
      <div className="page">
        <h1>Search</h1>
        <Empty title="What are you looking for?">Type a title, author, genre or ISBN in the search box above.</Empty>
      </div>
    );
  }
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Results for “{q}”</h1>
          {results.data && results.status !== 'loading' && <p className="muted" role="status">{plural(results.data.totalElements, 'book')} found</p>}
        </div>
      </div>
      {results.status === 'error' ? (
        <ErrorState error={results.error} onRetry={results.reload} />
      ) : results.status === 'loading' && !results.data ? (
        <Loading label="Searching…" />
      ) : content.length === 0 ? (
        <Empty title="No books match your search" action={<Link to="/" className="btn btn-secondary">Browse the catalog</Link>}>
          Try another spelling, an author’s surname, or a genre.
        </Empty>
      ) : (
        <>
          <ul className="book-grid" aria-label="Search results">
            {content.map((b) => (
              <BookCard key={b.id} book={b} stock={stocks[b.id]} stockLoading={stockLoading} />
            ))}
          </ul>
          <Pagination
            page={results.data!.number}
            totalPages={results.data!.totalPages}
            onPage={(p) => {
              const next = new URLSearchParams(params);
              next.set('page', String(p));
              setParams(next);
            }}
            label="Result pages"
          />
        </>
      )}
    </div>
  );
}
