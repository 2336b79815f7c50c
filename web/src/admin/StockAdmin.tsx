import { useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useApi } from '../api/ApiProvider';
import { isApiError } from '../api/errors';
import type { Stock } from '../api/types';
import { Pagination } from '../components/Pagination';
import { StockBadge } from '../components/StockBadge';
import { Empty, ErrorState, Loading } from '../components/States';
import { formatDate } from '../lib/format';
import { useBookTitles } from '../lib/useBookTitles';
import { useResource } from '../lib/useResource';

function StockRow({ stock, title, onSaved }: { stock: Stock; title?: string; onSaved: (s: Stock) => void }) {
  const api = useApi();
  const [qty, setQty] = useState(String(stock.quantity));
  const [delta, setDelta] = useState('');
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ tone: 'error' | 'success'; text: string } | null>(null);
  useEffect(() => setQty(String(stock.quantity)), [stock.quantity]);
  const name = title ?? 'this book';
  const act = async (e: FormEvent, kind: 'set' | 'adjust') => {
    e.preventDefault();
    const n = Number(kind === 'set' ? qty : delta);
    if (!Number.isInteger(n) || (kind === 'set' && n < 0) || (kind === 'adjust' && n === 0)) {
      setMsg({ tone: 'error', text: kind === 'set' ? 'Enter a whole number of 0 or more.' : 'Enter a whole number other than 0 (negative removes units).' });
      return;
    }
    setBusy(true);
    setMsg(null);
    try {
      const res = kind === 'set' ? await api.adminSetStock(stock.book_id, n) : await api.adminAdjustStock(stock.book_id, n);
      const next = res && typeof res === 'object' && 'quantity' in res ? res : { ...stock, quantity: kind === 'set' ? n : stock.quantity + n, available: (kind === 'set' ? n : stock.quantity + n) - stock.reserved };
      onSaved(next);
      setDelta('');
      setMsg({ tone: 'success', text: `Saved: ${next.quantity} in stock.` });
    } catch (err) {
      let text = isApiError(err) ? err.userMessage : 'Saving failed.';
      if (isApiError(err) && err.isConflict && !err.detail) text = `Cannot go below the ${stock.reserved} units reserved by open checkouts.`;
      if (isApiError(err) && err.isConflict && kind === 'adjust' && !err.detail) text = 'That would leave a negative quantity.';
      setMsg({ tone: 'error', text });
    } finally {
      setBusy(false);
    }
  };
  const rowId = `stock-${stock.book_id}`;
  return (
    <tr data-testid="stock-row" aria-labelledby={`${rowId}-title`}>
      <th scope="row" id={`${rowId}-title`}>
        {title ? <Link to={`/admin/books/${stock.book_id}`}>{title}</Link> : <span className="muted">Book not in the catalog</span>}
        {stock.updated_at && <div className="muted small nowrap">Updated {formatDate(stock.updated_at)}</div>}
      </th>
      <td className="num" data-testid="stock-quantity">
        {stock.quantity}
      </td>
      <td className="num">{stock.reserved}</td>
      <td className="num nowrap">
        <StockBadge stock={stock} /> {stock.available}
      </td>
      <td>
        <form className="inline-form" onSubmit={(e) => void act(e, 'set')}>
          <label className="visually-hidden" htmlFor={`${rowId}-set`}>
            New quantity for {name}
          </label>
          <input id={`${rowId}-set`} inputMode="numeric" value={qty} onChange={(e) => setQty(e.target.value)} disabled={busy} size={5} />
          <button className="btn btn-secondary btn-small" type="submit" disabled={busy} aria-label={`Set quantity for ${name}`}>
            Set
          </button>
        </form>
      </td>
      <td>
        <form className="inline-form" onSubmit={(e) => void act(e, 'adjust')}>
          <label className="visually-hidden" htmlFor={`${rowId}-adj`}>
            Amount to add to {name} (negative removes)
          </label>
          <input id={`${rowId}-adj`} inputMode="numeric" placeholder="±" value={delta} onChange={(e) => setDelta(e.target.value)} disabled={busy} size={5} />
          <button className="btn btn-secondary btn-small" type="submit" disabled={busy} aria-label={`Adjust quantity for ${name}`}>
            Adjust
          </button>
        </form>
        {msg && (
          <p className={msg.tone === 'error' ? 'field-error' : 'field-ok'} role={msg.tone === 'error' ? 'alert' : 'status'}>
            {msg.text}
          </p>
        )}
      </td>
    </tr>
  );
}

export default function StockAdmin() {
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const page = Math.max(0, Number.parseInt(params.get('page') ?? '0', 10) || 0);
  const stock = useResource((signal) => api.adminListStock({ page, size: 20 }, signal), [api, page]);
  const [overrides, setOverrides] = useState<Record<string, Stock>>({});
  const rows = (stock.data?.content ?? []).map((s) => overrides[s.book_id] ?? s);
  const titles = useBookTitles(rows.map((r) => r.book_id));
  useEffect(() => {
    document.title = 'Stock · Admin · Bookstore';
  }, []);
  useEffect(() => setOverrides({}), [stock.data]);

  return (
    <div>
      <div className="page-head">
        <div>
          <h1>Stock</h1>
          <p className="muted">Set an exact quantity, or adjust by a positive or negative amount.</p>
        </div>
      </div>
      {stock.status === 'error' ? (
        <ErrorState error={stock.error} onRetry={stock.reload} />
      ) : !stock.data ? (
        <Loading label="Loading stock…" />
      ) : rows.length === 0 ? (
        <Empty title="No stock records">Books created with an initial stock appear here.</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">Stock per book</caption>
              <thead>
                <tr>
                  <th scope="col">Book</th>
                  <th scope="col" className="num">
                    Quantity
                  </th>
                  <th scope="col" className="num">
                    Reserved
                  </th>
                  <th scope="col" className="num">
                    Available
                  </th>
                  <th scope="col">Set to</th>
                  <th scope="col">Adjust by</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((s) => (
                  <StockRow key={s.book_id} stock={s} title={titles[s.book_id]} onSaved={(n) => setOverrides((o) => ({ ...o, [s.book_id]: { ...s, ...n } }))} />
                ))}
              </tbody>
            </table>
          </div>
          <Pagination page={stock.data.number} totalPages={stock.data.totalPages} onPage={(p) => setParams({ page: String(p) })} label="Stock pages" />
        </>
      )}
    </div>
  );
}
