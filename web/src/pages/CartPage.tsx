import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useApi } from '../api/ApiProvider';
import { CheckoutAttempt } from '../api/checkout';
import { isApiError } from '../api/errors';
import { useAuth } from '../auth/AuthProvider';
import { useCart, type CartLine } from '../cart/CartProvider';
import { BookCover } from '../components/BookCover';
import { Empty, ErrorState, Loading, Notice } from '../components/States';
import { StockBadge } from '../components/StockBadge';
import { formatMoney } from '../lib/format';
import { useStock } from '../lib/useStock';

function QuantityControl({ line, disabled, onChange }: { line: CartLine; disabled: boolean; onChange: (q: number) => void }) {
  const [draft, setDraft] = useState(String(line.quantity));
  useEffect(() => setDraft(String(line.quantity)), [line.quantity]);
  const commit = () => {
    const n = Number.parseInt(draft, 10);
    if (Number.isFinite(n) && n >= 1 && n <= 99 && n !== line.quantity) onChange(n);
    else setDraft(String(line.quantity));
  };
  return (
    <div className="qty" role="group" aria-label={`Quantity of ${line.title}`}>
      <button className="btn btn-secondary btn-icon" aria-label={`Decrease quantity of ${line.title}`} disabled={disabled || line.quantity <= 1} onClick={() => onChange(line.quantity - 1)}>
        −
      </button>
      <input
        aria-label={`Quantity of ${line.title}`}
        inputMode="numeric"
        value={draft}
        disabled={disabled}
        onChange={(e) => setDraft(e.target.value.replace(/\D/g, '').slice(0, 2))}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
      <button className="btn btn-secondary btn-icon" aria-label={`Increase quantity of ${line.title}`} disabled={disabled || line.quantity >= 99} onClick={() => onChange(line.quantity + 1)}>
        +
      </button>
    </div>
  );
}

/**
 * The 409 of a checkout names the short books (`books: [{bookId, title, requested, available}]`):
 * say it with titles, e.g. "Not enough stock for Clean Code (3 wanted, 1 left)."
 */
export function shortageText(problem: Record<string, unknown> | undefined): string | null {
  const books = problem?.books;
  if (!Array.isArray(books) || books.length === 0) return null;
  const parts = books
    .filter((b): b is { title?: unknown; requested?: unknown; available?: unknown } => !!b && typeof b === 'object')
    .map((b) => {
      const title = typeof b.title === 'string' && b.title ? b.title : 'a book';
      const left = typeof b.available === 'number' ? (b.available > 0 ? `${b.available} left` : 'none left') : null;
      const wanted = typeof b.requested === 'number' ? `${b.requested} wanted` : null;
      const detail = [wanted, left].filter(Boolean).join(', ');
      return detail ? `${title} (${detail})` : title;
    });
  return parts.length ? `Not enough stock for ${parts.join('; ')}.` : null;
}

/** A problem detail with the book ids it names replaced by their titles (no raw UUIDs for people). */
export function withTitles(detail: string | undefined, titles: ReadonlyMap<string, string>): string | undefined {
  return detail?.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, (id) => {
    const t = titles.get(id.toLowerCase());
    return t ? `“${t}”` : 'a book';
  });
}

export default function CartPage() {
  const cart = useCart();
  const auth = useAuth();
  const api = useApi();
  const navigate = useNavigate();
  const signature = cart.lines.map((l) => `${l.bookId}:${l.quantity}`).join('|');
  const { stocks, loading: stockLoading, reload: reloadStock } = useStock(cart.lines.map((l) => l.bookId), signature);
  const [checkoutError, setCheckoutError] = useState<unknown>(null);
  const [placing, setPlacing] = useState(false);

  // One Idempotency-Key per checkout attempt; a double click joins the request in flight.
  const attempt = useRef<CheckoutAttempt | null>(null);
  attempt.current ??= new CheckoutAttempt((key) => api.checkout(key));
  useEffect(() => {
    attempt.current?.reset(); // the cart changed: a new attempt
  }, [signature]);

  useEffect(() => {
    document.title = 'Your cart · Bookstore';
  }, []);

  const problems = useMemo(() => {
    const out: Record<string, string> = {};
    for (const l of cart.lines) {
      const s = stocks[l.bookId];
      if (!s) continue;
      if (s.available <= 0) out[l.bookId] = 'Out of stock — remove it to check out.';
      else if (l.quantity > s.available) out[l.bookId] = `Only ${s.available} available — lower the quantity to check out.`;
    }
    return out;
  }, [cart.lines, stocks]);
  const blocked = Object.keys(problems).length > 0;

  const checkout = async () => {
    setCheckoutError(null);
    setPlacing(true);
    try {
      const { order } = await attempt.current!.submit();
      cart.markCheckedOut();
      navigate(`/order-confirmation?id=${encodeURIComponent(order.id)}`, { state: { order } });
    } catch (e) {
      setCheckoutError(e);
      if (isApiError(e) && (e.isConflict || e.isValidation)) {
        reloadStock();
        void cart.reload();
      }
    } finally {
      setPlacing(false);
    }
  };

  if (cart.mode === 'server' && cart.status === 'error' && cart.lines.length === 0) {
    return (
      <div className="page">
        <h1>Your cart</h1>
        <ErrorState error={cart.error} onRetry={() => void cart.reload()} />
      </div>
    );
  }
  if (cart.mode === 'server' && (cart.status === 'loading' || cart.status === 'idle') && cart.lines.length === 0) {
    return (
      <div className="page">
        <h1>Your cart</h1>
        <Loading label="Loading your cart…" />
      </div>
    );
  }
  if (cart.lines.length === 0) {
    return (
      <div className="page">
        <h1>Your cart</h1>
        <Empty title="Your cart is empty" action={<Link className="btn btn-primary" to="/">Browse books</Link>}>
          Books you add will appear here.
        </Empty>
      </div>
    );
  }

  const errorText = (() => {
    if (!checkoutError) return null;
    if (!isApiError(checkoutError)) return 'Checkout failed unexpectedly. Please try again.';
    if (checkoutError.isConflict) {
      const titles = new Map(cart.lines.map((l) => [l.bookId.toLowerCase(), l.title]));
      const detail = shortageText(checkoutError.problem) ?? withTitles(checkoutError.detail, titles) ?? 'Not enough stock.';
      return `${detail} No order was placed; adjust your cart and try again.`;
    }
    if (checkoutError.isValidation) return checkoutError.detail ?? 'Your cart is empty.';
    if (checkoutError.status === 503) return 'Stock could not be checked right now, so no order was placed. Please try again in a moment.';
    if (checkoutError.isNetwork) return 'The connection dropped while placing your order. Try again — you will not be charged twice.';
    return checkoutError.userMessage;
  })();

  return (
    <div className="page">
      <h1>Your cart</h1>
      {cart.mode === 'guest' && (
        <Notice tone="info">You are browsing as a guest. Your cart is saved on this device and will be added to your account when you sign in.</Notice>
      )}
      <div className="cart-layout">
        <ul className="cart-lines" aria-label="Cart items">
          {cart.lines.map((l) => (
            <li key={l.key} className="cart-line" data-testid="cart-line">
              <BookCover title={l.title} author={l.author} coverUrl={l.coverUrl} size="sm" />
              <div className="cart-line-body">
                <h2 className="cart-line-title">
                  <Link to={`/books/${l.bookId}`}>{l.title}</Link>
                </h2>
                {l.author && <p className="book-author">{l.author}</p>}
                <div className="book-meta">
                  <span className="price">{formatMoney(l.price)}</span>
                  <StockBadge stock={stocks[l.bookId]} loading={stockLoading} />
                </div>
                {problems[l.bookId] && (
                  <p className="field-error" role="alert">
                    {problems[l.bookId]}
                  </p>
                )}
              </div>
              <div className="cart-line-actions">
                <QuantityControl line={l} disabled={cart.busy || placing} onChange={(q) => void cart.setQuantity(l, q).catch(() => undefined)} />
                <span className="line-total" aria-label={`Line total for ${l.title}`}>
                  {formatMoney(l.price * l.quantity)}
                </span>
                <button className="btn btn-ghost" disabled={cart.busy || placing} onClick={() => void cart.remove(l).catch(() => undefined)} aria-label={`Remove ${l.title} from cart`}>
                  Remove
                </button>
              </div>
            </li>
          ))}
        </ul>
        <aside className="summary" aria-labelledby="summary-heading">
          <h2 id="summary-heading">Order summary</h2>
          <dl>
            <dt>Items</dt>
            <dd>{cart.count}</dd>
            <dt>Subtotal</dt>
            <dd className="price" data-testid="cart-subtotal">
              {formatMoney(cart.subtotal)}
            </dd>
          </dl>
          {errorText && (
            <p className="field-error" role="alert">
              {errorText}
            </p>
          )}
          {cart.mode === 'guest' ? (
            <button className="btn btn-primary btn-block" onClick={() => void auth.signIn()} disabled={auth.status === 'signingIn'}>
              Sign in to check out
            </button>
          ) : (
            <button className="btn btn-primary btn-block" onClick={() => void checkout()} disabled={placing || cart.busy || blocked} aria-describedby={blocked ? 'checkout-blocked' : undefined}>
              {placing ? 'Placing order…' : 'Place order'}
            </button>
          )}
          {blocked && (
            <p id="checkout-blocked" className="muted small">
              Fix the availability warnings above to check out.
            </p>
          )}
        </aside>
      </div>
    </div>
  );
}
