import { useEffect } from 'react';
import { Link, useLocation, useParams, useSearchParams } from 'react-router';
import { useApi } from '../api/ApiProvider';
import { isApiError } from '../api/errors';
import type { Order } from '../api/types';
import { RequireAuth } from '../components/Guards';
import { OrderItems, StatusChip } from '../components/OrderItems';
import { Pagination } from '../components/Pagination';
import { Empty, ErrorState, Loading } from '../components/States';
import { formatDate, formatMoney, orderRef, plural } from '../lib/format';
import { useResource } from '../lib/useResource';
import { NotFoundPage } from './NotFoundPage';

function OrderConfirmationInner() {
  const api = useApi();
  const location = useLocation();
  const [params] = useSearchParams();
  const fromState = (location.state as { order?: Order } | null)?.order;
  const id = params.get('id') ?? fromState?.id ?? '';
  const order = useResource<Order | null>((signal) => (fromState && fromState.id === id ? Promise.resolve(fromState) : id ? api.getMyOrder(id, signal) : Promise.resolve(null)), [api, id]);
  useEffect(() => {
    document.title = 'Order confirmed · Bookstore';
  }, []);
  if (order.status === 'error') return <ErrorState error={order.error} onRetry={order.reload} />;
  if (order.status === 'loading') return <Loading label="Loading your order…" />;
  if (!order.data) {
    return (
      <Empty title="No recent order" action={<Link className="btn btn-primary" to="/orders">See my orders</Link>}>
        There is no order to confirm here.
      </Empty>
    );
  }
  const o = order.data;
  return (
    <div className="page narrow">
      <section className="confirmation" aria-labelledby="conf-heading">
        <div className="confirmation-mark" aria-hidden="true">
          ✓
        </div>
        <h1 id="conf-heading">Thank you — your order is confirmed</h1>
        <p className="lead">
          Order <strong>{orderRef(o.id)}</strong> · {plural(o.items?.reduce((n, i) => n + i.quantity, 0) ?? 0, 'book')} · <strong>{formatMoney(o.total)}</strong>
        </p>
        <StatusChip status={o.status} />
      </section>
      <OrderItems order={o} />
      <div className="actions">
        <Link className="btn btn-primary" to={`/orders/${o.id}`}>
          View order
        </Link>
        <Link className="btn btn-secondary" to="/orders">
          My orders
        </Link>
        <Link className="btn btn-ghost" to="/">
          Keep shopping
        </Link>
      </div>
    </div>
  );
}

export function OrderConfirmationPage() {
  return (
    <RequireAuth message="Sign in to see your order.">
      <OrderConfirmationInner />
    </RequireAuth>
  );
}

function MyOrdersInner() {
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const page = Math.max(0, Number.parseInt(params.get('page') ?? '0', 10) || 0);
  const orders = useResource((signal) => api.listMyOrders({ page, size: 10 }, signal), [api, page]);
  useEffect(() => {
    document.title = 'My orders · Bookstore';
  }, []);
  return (
    <div className="page">
      <h1>My orders</h1>
      {orders.status === 'error' ? (
        <ErrorState error={orders.error} onRetry={orders.reload} />
      ) : !orders.data ? (
        <Loading label="Loading your orders…" />
      ) : orders.data.content.length === 0 ? (
        <Empty title="No orders yet" action={<Link className="btn btn-primary" to="/">Start shopping</Link>}>
          When you place an order it will show up here.
        </Empty>
      ) : (
        <>
          <ul className="order-list" aria-label="Orders">
            {orders.data.content.map((o) => (
              <li key={o.id} className="order-row" data-testid="order-row">
                <div>
                  <Link to={`/orders/${o.id}`} className="order-link">
                    Order {orderRef(o.id)}
                  </Link>
                  <p className="muted small">
                    {formatDate(o.createdAt, true)} · {plural(o.items?.reduce((n, i) => n + i.quantity, 0) ?? 0, 'book')}
                  </p>
                  <p className="order-titles">{summariseTitles(o)}</p>
                </div>
                <div className="order-row-side">
                  <StatusChip status={o.status} />
                  <span className="price">{formatMoney(o.total)}</span>
                </div>
              </li>
            ))}
          </ul>
          <Pagination page={orders.data.number} totalPages={orders.data.totalPages} onPage={(p) => setParams({ page: String(p) })} label="Order pages" />
        </>
      )}
    </div>
  );
}

function summariseTitles(o: Order): string {
  const titles = (o.items ?? []).map((i) => i.title ?? i.book?.title).filter(Boolean) as string[];
  if (titles.length === 0) return '';
  return titles.length <= 2 ? titles.join(', ') : `${titles.slice(0, 2).join(', ')} and ${titles.length - 2} more`;
}

export function MyOrdersPage() {
  return (
    <RequireAuth message="Sign in to see your orders.">
      <MyOrdersInner />
    </RequireAuth>
  );
}

function OrderDetailInner() {
  const { id = '' } = useParams();
  const api = useApi();
  const order = useResource((signal) => api.getMyOrder(id, signal), [api, id]);
  useEffect(() => {
    if (order.data) document.title = `Order ${orderRef(order.data.id)} · Bookstore`;
  }, [order.data]);
  if (order.status === 'error') {
    if (isApiError(order.error) && (order.error.isNotFound || order.error.status === 400 || order.error.status === 422)) return <NotFoundPage what="order" />;
    return <ErrorState error={order.error} onRetry={order.reload} />;
  }
  if (!order.data) return <Loading label="Loading order…" />;
  const o = order.data;
  return (
    <div className="page narrow">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/orders">My orders</Link> <span aria-hidden="true">/</span> <span aria-current="page">Order {orderRef(o.id)}</span>
      </nav>
      <div className="page-head">
        <div>
          <h1>Order {orderRef(o.id)}</h1>
          <p className="muted">Placed {formatDate(o.createdAt, true)}</p>
        </div>
        <StatusChip status={o.status} />
      </div>
      <OrderItems order={o} />
    </div>
  );
}

export function OrderDetailPage() {
  return (
    <RequireAuth message="Sign in to see this order.">
      <OrderDetailInner />
    </RequireAuth>
  );
}
