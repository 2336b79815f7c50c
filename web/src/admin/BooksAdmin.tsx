import { useEffect, useState } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import { useApi } from '../api/ApiProvider';
import { isApiError } from '../api/errors';
import type { Book } from '../api/types';
import { Pagination } from '../components/Pagination';
import { Empty, ErrorState, Loading, Notice } from '../components/States';
import { formatMoney, plural } from '../lib/format';
import { rememberTitles } from '../lib/useBookTitles';
import { useResource } from '../lib/useResource';
import { useStock } from '../lib/useStock';

export default function BooksAdmin() {
  const api = useApi();
  const navigate = useNavigate();
  const location = useLocation();
  const [params, setParams] = useSearchParams();
  const page = Math.max(0, Number.parseInt(params.get('page') ?? '0', 10) || 0);
  const books = useResource((signal) => api.adminListBooks({ page, size: 20, sort: 'title' }, signal), [api, page]);
  const content = books.data?.content ?? [];
  const { stocks } = useStock(content.map((b) => b.id), books.data);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [flash, setFlash] = useState<{ tone: 'success' | 'error'; text: string } | null>((location.state as { flash?: string } | null)?.flash ? { tone: 'success', text: (location.state as { flash: string }).flash } : null);

  useEffect(() => {
    document.title = 'Books · Admin · Bookstore';
  }, []);
  useEffect(() => rememberTitles(content), [content]);

  const del = async (b: Book) => {
    setDeleting(true);
    try {
      await api.adminDeleteBook(b.id);
      setFlash({ tone: 'success', text: `“${b.title}” was deleted.` });
      setConfirming(null);
      books.reload();
    } catch (e) {
      setConfirming(null);
      if (isApiError(e) && e.isConflict) setFlash({ tone: 'error', text: `“${b.title}” cannot be deleted because it has orders. ${e.detail ?? ''}`.trim() });
      else setFlash({ tone: 'error', text: `Could not delete “${b.title}”: ${isApiError(e) ? e.userMessage : String(e)}` });
    } finally {
      setDeleting(false);
    }
  };

  return (
    <div>
      <div className="page-head">
        <div>
          <h1>Books</h1>
          {books.data && <p className="muted">{plural(books.data.totalElements, 'book')}</p>}
        </div>
        <Link className="btn btn-primary" to="/admin/books/new">
          New book
        </Link>
      </div>
      {flash && (
        <Notice tone={flash.tone} onDismiss={() => setFlash(null)}>
          {flash.text}
        </Notice>
      )}
      {books.status === 'error' ? (
        <ErrorState error={books.error} onRetry={books.reload} />
      ) : !books.data ? (
        <Loading label="Loading books…" />
      ) : content.length === 0 ? (
        <Empty title="No books" action={<Link className="btn btn-primary" to="/admin/books/new">Add the first book</Link>} />
      ) : (
        <>
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">Books in the catalog</caption>
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">Author</th>
                  <th scope="col" className="num">
                    Price
                  </th>
                  <th scope="col" className="num">
                    Available
                  </th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {content.map((b) => (
                  <tr key={b.id} data-testid="admin-book-row">
                    <td>
                      <Link to={`/admin/books/${b.id}`}>{b.title}</Link>
                    </td>
                    <td>{b.author}</td>
                    <td className="num">{formatMoney(b.price)}</td>
                    <td className="num">{stocks[b.id] ? stocks[b.id].available : '—'}</td>
                    <td className="row-actions">
                      {confirming === b.id ? (
                        <span role="group" aria-label={`Confirm deleting ${b.title}`}>
                          <span className="small">Delete?</span>{' '}
                          <button className="btn btn-danger btn-small" disabled={deleting} onClick={() => void del(b)}>
                            {deleting ? 'Deleting…' : 'Confirm delete'}
                          </button>{' '}
                          <button className="btn btn-ghost btn-small" onClick={() => setConfirming(null)}>
                            Cancel
                          </button>
                        </span>
                      ) : (
                        <>
                          <button className="btn btn-secondary btn-small" onClick={() => navigate(`/admin/books/${b.id}`)} aria-label={`Edit ${b.title}`}>
                            Edit
                          </button>{' '}
                          <button className="btn btn-ghost btn-small" onClick={() => setConfirming(b.id)} aria-label={`Delete ${b.title}`}>
                            Delete
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination page={books.data.number} totalPages={books.data.totalPages} onPage={(p) => setParams({ page: String(p) })} label="Book pages" />
        </>
      )}
    </div>
  );
}
