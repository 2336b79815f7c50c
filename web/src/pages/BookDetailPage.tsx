import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useApi } from '../api/ApiProvider';
import { isApiError } from '../api/errors';
import { AddToCartButton } from '../components/BookCard';
import { BookCover } from '../components/BookCover';
import { StockBadge } from '../components/StockBadge';
import { ErrorState, Loading } from '../components/States';
import { formatMoney } from '../lib/format';
import { useResource } from '../lib/useResource';
import { useStock } from '../lib/useStock';
import { NotFoundPage } from './NotFoundPage';

export default function BookDetailPage() {
  const { id = '' } = useParams();
  const api = useApi();
  const book = useResource((signal) => api.getBook(id, signal), [api, id]);
  const { stocks, loading: stockLoading, failed: stockFailed } = useStock(book.data ? [book.data.id] : []);
  const stock = book.data ? stocks[book.data.id] : undefined;
  const [qty, setQty] = useState(1);

  useEffect(() => {
    if (book.data) document.title = `${book.data.title} · Bookstore`;
  }, [book.data]);

  if (book.status === 'error') {
    if (isApiError(book.error) && (book.error.isNotFound || book.error.status === 400 || book.error.status === 422)) {
      return <NotFoundPage what="book" />;
    }
    return <ErrorState error={book.error} onRetry={book.reload} />;
  }
  if (!book.data) return <Loading label="Loading book…" />;
  const b = book.data;
  const max = stock ? Math.max(1, Math.min(99, stock.available)) : 99;
  return (
    <div className="page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/">Catalog</Link> <span aria-hidden="true">/</span> <span aria-current="page">{b.title}</span>
      </nav>
      <article className="book-detail">
        <BookCover title={b.title} author={b.author} coverUrl={b.coverUrl} size="lg" />
        <div className="book-detail-body">
          <h1>{b.title}</h1>
          <p className="book-author lead">by {b.author}</p>
          <div className="book-meta">
            <span className="price price-lg">{formatMoney(b.price)}</span>
            <StockBadge stock={stock} loading={stockLoading} />
            {stockFailed && <span className="badge badge-muted">Stock unavailable</span>}
          </div>
          {b.description && <p className="description">{b.description}</p>}
          <dl className="facts">
            {b.genre && (
              <>
                <dt>Genre</dt>
                <dd>{b.genre}</dd>
              </>
            )}
            {b.publishedYear ? (
              <>
                <dt>Published</dt>
                <dd>{b.publishedYear}</dd>
              </>
            ) : null}
            {b.isbn && (
              <>
                <dt>ISBN</dt>
                <dd>{b.isbn}</dd>
              </>
            )}
          </dl>
          <div className="buy-row">
            <div className="field field-inline">
              <label htmlFor="qty">Quantity</label>
              <input id="qty" type="number" min={1} max={max} value={qty} onChange={(e) => setQty(Math.max(1, Math.min(max, Number(e.target.value) || 1)))} />
            </div>
            <AddToCartButton book={b} stock={stock} quantity={qty} />
          </div>
        </div>
      </article>
    </div>
  );
}
