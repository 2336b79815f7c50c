import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation, useParams, useSearchParams } from 'react-router';
import { useApi } from '../api/ApiProvider';
import { isApiError } from '../api/errors';
import { ORDER_STATUSES, type Order } from '../api/types';
import { useEventStream } from '../api/useEventStream';
import { useAuth } from '../auth/AuthProvider';
import { RequireAuth } from '../components/Guards';
import { LiveBadge } from '../components/LiveBadge';
import { OrderItems, StatusChip } from '../components/OrderItems';
import { OrderTimeline } from '../components/OrderTimeline';
import { Pagination } from '../components/Pagination';
import { Empty, ErrorState, Loading, Notice } from '../components/States';
import { formatDate, formatMoney, orderRef, plural } from '../lib/format';
import { applyOrderEvent, canMove, eventStatus, isOrderStatus, statusLabel } from '../lib/orders';
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
  const wanted = params.get('status');
  const status = isOrderStatus(wanted) ? wanted : '';
  const orders = useResource((signal) => api.listMyOrders({ page, size: 10, status: status || undefined }, signal), [api, page, status]);
  useEffect(() => {
    document.title = 'My orders · Bookstore';
  }, []);
  const show = (next: { status?: string; page?: number }) => {
    const p: Record<string, string> = {};
    if (next.status) p.status = next.status;
    if (next.page) p.page = String(next.page);
    setParams(p);
  };
  return (
    <div className="page">
      <div className="page-head">
        <h1>My orders</h1>
        <div className="filter-bar">
          <label htmlFor="my-orders-status">Status</label>
          <select id="my-orders-status" value={status} onChange={(e) => show({ status: e.target.value })}>
            <option value="">All orders</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </div>
      </div>
      {orders.status === 'error' ? (
        <ErrorState error={orders.error} onRetry={orders.reload} />
      ) : !orders.data ? (
        <Loading label="Loading your orders…" />
      ) : orders.data.content.length === 0 ? (
        status ? (
          <Empty
            title={`No ${statusLabel(status).toLowerCase()} orders`}
            action={
              <button className="btn btn-secondary" onClick={() => show({})}>
                Show all orders
              </button>
            }
          >
            None of your orders is {statusLabel(status).toLowerCase()} right now.
          </Empty>
        ) : (
          <Empty title="No orders yet" action={<Link className="btn btn-primary" to="/">Start shopping</Link>}>
            When you place an order it will show up here.
          </Empty>
        )
      ) : (
        <>
          <ul className="order-list" aria-label="Orders">
            {orders.data.content.map((o) => (
              <li key={o.id} className="order-row" data-testid="order-row" data-status={o.status}>
                <div>
                  <Link to={`/orders/${o.id}`} className="order-link">
                    Order {orderRef(o.id)}
                  </Link>
                  <p className="muted small">
                    {formatDate(o.createdAt, true)} · {plural(o.items?.reduce((n, i) => n + i.quantity, 0) ?? 0, 'book')}
                    {o.carrier ? ` · ${o.carrier}` : ''}
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
          <Pagination page={orders.data.number} totalPages={orders.data.totalPages} onPage={(p) => show({ status, page: p })} label="Order pages" />
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
  const auth = useAuth();
  const order = useResource((signal) => api.getMyOrder(id, signal), [api, id]);
  const [announcement, setAnnouncement] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState('');
  const [pending, setPending] = useState(false);
  const [cancelError, setCancelError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);

  // The order's moves, live: shown at once from the event, then the order is read again for the server's word
  // (who moved it, and anything the event does not carry). `ready` (each (re)connect) and `resync` reload.
  const loaded = order.data?.id === id;
  const live = useEventStream(loaded ? `/ecom/orders/${encodeURIComponent(id)}/events` : null, {
    onReady: order.reload,
    onResync: order.reload,
    onEvent: (ev) => {
      if (ev.orderId !== id) return;
      order.mutate((o) => (o ? applyOrderEvent(o, ev) : o));
      const status = eventStatus(ev);
      if (status) setAnnouncement(`Order status: ${statusLabel(status)}`);
      order.reload();
    },
  });

  useEffect(() => {
    if (order.data) document.title = `Order ${orderRef(order.data.id)} · Bookstore`;
  }, [order.data]);
  useEffect(() => {
    setConfirming(false);
    setReason('');
    setCancelError(null);
    setNotice(null);
    setAnnouncement('');
  }, [id]);

  if (order.status === 'error' && !loaded) {
    if (isApiError(order.error) && (order.error.isNotFound || order.error.status === 400 || order.error.status === 422)) return <NotFoundPage what="order" />;
    return <ErrorState error={order.error} onRetry={order.reload} />;
  }
  if (!order.data || !loaded) return <Loading label="Loading order…" />;
  const o = order.data;
  const cancellable = canMove(o, 'CANCELLED');

  const cancel = async (e: FormEvent) => {
    e.preventDefault();
    if (pending) return;
    setPending(true);
    setCancelError(null);
    try {
      const updated = await api.cancelMyOrder(o.id, reason);
      order.mutate(() => updated);
      setConfirming(false);
      setReason('');
      setNotice(updated.status === 'CANCELLED' ? 'Your order is cancelled. Its books are back in stock.' : null);
    } catch (err) {
      setCancelError(err);
      // 409: the order moved meanwhile (shipped…): show where it is now.
      if (isApiError(err) && err.isConflict) order.reload();
    } finally {
      setPending(false);
    }
  };

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
        <div className="order-status-side">
          <span data-testid="order-status" data-status={o.status}>
            <StatusChip status={o.status} />
          </span>
          <LiveBadge status={live} />
        </div>
      </div>
      <p className="visually-hidden" role="status">
        {announcement}
      </p>
      {notice && (
        <Notice tone="success" onDismiss={() => setNotice(null)}>
          {notice}
        </Notice>
      )}
      {cancelError !== null && (
        <Notice tone="error" onDismiss={() => setCancelError(null)}>
          The order could not be cancelled: {isApiError(cancelError) ? cancelError.userMessage : String(cancelError)}
        </Notice>
      )}
      {(o.carrier || o.trackingNumber) && (
        <dl className="shipment" aria-label="Shipment">
          <dt>Carrier</dt>
          <dd data-testid="order-carrier">{o.carrier || 'Not given'}</dd>
          <dt>Tracking number</dt>
          <dd data-testid="order-tracking">{o.trackingNumber || 'Not given'}</dd>
        </dl>
      )}
      {cancellable && !confirming && (
        <div className="actions order-detail-actions">
          <button
            ref={cancelButton}
            className="btn btn-secondary"
            disabled={pending}
            onClick={() => {
              setConfirming(true);
              setCancelError(null);
              setNotice(null);
            }}
          >
            Cancel order
          </button>
        </div>
      )}
      {cancellable && confirming && (
        <form className="move-panel" aria-labelledby="cancel-heading" onSubmit={(e) => void cancel(e)}>
          <h2 id="cancel-heading">Cancel this order?</h2>
          <p>It will not be shipped, and its books go back to stock. This cannot be undone.</p>
          <div className="field">
            <label htmlFor="cancel-reason">Reason (optional)</label>
            <textarea id="cancel-reason" rows={2} maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} disabled={pending} autoFocus />
          </div>
          <div className="form-actions">
            <button type="submit" className="btn btn-danger" disabled={pending} aria-busy={pending}>
              {pending ? 'Cancelling…' : 'Yes, cancel order'}
            </button>
            <button
              type="button"
              className="btn btn-ghost"
              disabled={pending}
              onClick={() => {
                setConfirming(false);
                requestAnimationFrame(() => cancelButton.current?.focus());
              }}
            >
              Keep order
            </button>
          </div>
        </form>
      )}
      {o.timeline && o.timeline.length > 0 && <OrderTimeline timeline={o.timeline} me={auth.user?.sub} />}
      <h2 className="visually-hidden">Items</h2>
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
