import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link, NavLink, useLocation, useNavigate } from 'react-router';
import { useAuth } from '../auth/AuthProvider';
import { useCart } from '../cart/CartProvider';
import { Notice } from './States';

function SearchBox() {
  const navigate = useNavigate();
  const location = useLocation();
  const current = location.pathname === '/search' ? new URLSearchParams(location.search).get('q') ?? '' : '';
  const [q, setQ] = useState(current);
  const [lastCurrent, setLastCurrent] = useState(current);
  if (current !== lastCurrent) {
    setLastCurrent(current);
    setQ(current);
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const term = q.trim();
    if (term) navigate(`/search?q=${encodeURIComponent(term.slice(0, 200))}`);
  };
  return (
    <form role="search" className="search" onSubmit={submit}>
      <label htmlFor="site-search" className="visually-hidden">
        Search books
      </label>
      <input id="site-search" type="search" placeholder="Search title, author, genre, ISBN" value={q} maxLength={200} onChange={(e) => setQ(e.target.value)} />
      <button className="btn btn-primary" type="submit">
        Search
      </button>
    </form>
  );
}

function Account() {
  const auth = useAuth();
  const [signingOut, setSigningOut] = useState(false);
  if (auth.status === 'signedIn' && auth.user) {
    return (
      <div className="account">
        <span className="account-name" title={auth.user.email}>
          {auth.user.name}
          {auth.user.isAdmin && <span className="role-chip">admin</span>}
        </span>
        <button
          className="btn btn-secondary"
          disabled={signingOut}
          onClick={async () => {
            setSigningOut(true);
            try {
              await auth.signOut();
            } finally {
              setSigningOut(false);
            }
          }}
        >
          {signingOut ? 'Signing out…' : 'Sign out'}
        </button>
      </div>
    );
  }
  return (
    <button className="btn btn-primary" disabled={auth.status === 'signingIn' || auth.status === 'loading'} onClick={() => void auth.signIn()}>
      {auth.status === 'signingIn' ? 'Signing in…' : 'Sign in'}
    </button>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const auth = useAuth();
  const cart = useCart();
  const { pathname } = useLocation();
  const { dismissNotice } = cart;
  const firstPath = useRef(pathname);
  // A merge notice belongs to the page it appeared on.
  useEffect(() => {
    if (pathname !== firstPath.current) dismissNotice();
    firstPath.current = pathname;
  }, [pathname, dismissNotice]);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <div className="header-inner">
          <Link to="/" className="brand" aria-label="Bookstore home">
            <span className="brand-mark" aria-hidden="true">
              ❦
            </span>
            Bookstore
          </Link>
          <SearchBox />
          <nav className="main-nav" aria-label="Main">
            <NavLink to="/" end>
              Catalog
            </NavLink>
            {auth.status === 'signedIn' && <NavLink to="/orders">My orders</NavLink>}
            {auth.user?.isAdmin && <NavLink to="/admin">Admin</NavLink>}
            <NavLink to="/cart" className="cart-link" aria-label={`Cart, ${cart.count} ${cart.count === 1 ? 'item' : 'items'}`}>
              Cart <span className="cart-count" aria-hidden="true">{cart.count}</span>
            </NavLink>
          </nav>
          <Account />
        </div>
      </header>
      <div className="banners">
        {auth.status === 'expired' && (
          <Notice tone="warn">
            Your session has expired{auth.lastName ? `, ${auth.lastName}` : ''}.{' '}
            <button className="link-button" onClick={() => void auth.signIn()}>
              Sign in again
            </button>
          </Notice>
        )}
        {auth.error && (
          <Notice tone="error" onDismiss={auth.dismissError}>
            {auth.error}
          </Notice>
        )}
        {cart.notice && (
          <Notice tone="info" onDismiss={cart.dismissNotice}>
            {cart.notice}
          </Notice>
        )}
      </div>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <footer className="site-footer">
        <p>Bookstore · prices in USD</p>
      </footer>
    </>
  );
}

