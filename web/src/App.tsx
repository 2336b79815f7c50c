import { lazy, Suspense, useEffect, useRef } from 'react';
import { BrowserRouter, Route, Routes, useLocation } from 'react-router';
import { ApiProvider } from './api/ApiProvider';
import { AuthProvider } from './auth/AuthProvider';
import { CartProvider } from './cart/CartProvider';
import { RequireAdmin } from './components/Guards';
import { Layout } from './components/Layout';
import { ErrorState, Loading } from './components/States';
import type { AppConfig } from './config';
import BookDetailPage from './pages/BookDetailPage';
import CallbackPage from './pages/CallbackPage';
import CartPage from './pages/CartPage';
import CatalogPage from './pages/CatalogPage';
import NotFoundPage from './pages/NotFoundPage';
import { MyOrdersPage, OrderConfirmationPage, OrderDetailPage } from './pages/OrderPages';
import SearchPage from './pages/SearchPage';
import { Component, type ReactNode } from 'react';

// The admin console (and its charts) is a separate chunk: shoppers never download it.
const AdminRoutes = lazy(() => import('./admin/AdminRoutes'));

class ChunkBoundary extends Component<{ children: ReactNode }, { error: unknown }> {
  state = { error: null as unknown };
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  render() {
    if (this.state.error) {
      return <ErrorState title="This part of the app failed to load" error={this.state.error} onRetry={() => window.location.reload()} />;
    }
    return this.props.children;
  }
}

/** Move focus to the main region on navigation so screen readers announce the new page. */
function FocusOnNavigate() {
  const { pathname } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('main')?.focus({ preventScroll: true });
    window.scrollTo({ top: 0 });
  }, [pathname]);
  return null;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/" element={<CatalogPage />} />
      <Route path="/books/:id" element={<BookDetailPage />} />
      <Route path="/search" element={<SearchPage />} />
      <Route path="/cart" element={<CartPage />} />
      <Route path="/callback" element={<CallbackPage />} />
      <Route path="/order-confirmation" element={<OrderConfirmationPage />} />
      <Route path="/orders" element={<MyOrdersPage />} />
      <Route path="/orders/:id" element={<OrderDetailPage />} />
      <Route
        path="/admin/*"
        element={
          <RequireAdmin>
            <ChunkBoundary>
              <Suspense fallback={<Loading label="Loading the admin console…" />}>
                <AdminRoutes />
              </Suspense>
            </ChunkBoundary>
          </RequireAdmin>
        }
      />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}

export default function App({ config }: { config: AppConfig }) {
  return (
    <BrowserRouter>
      <AuthProvider config={config}>
        <ApiProvider>
          <CartProvider>
            <FocusOnNavigate />
            <Layout>
              <ChunkBoundary>
                <AppRoutes />
              </ChunkBoundary>
            </Layout>
          </CartProvider>
        </ApiProvider>
      </AuthProvider>
    </BrowserRouter>
  );
}
