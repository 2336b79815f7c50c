import { useCallback, useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useSearchParams } from 'react-router';
import { useApi } from '../api/ApiProvider';
import { isApiError } from '../api/errors';
import { ORDER_STATUSES, type Order, type OrderStatus } from '../api/types';
import { useEventStream } from '../api/useEventStream';
import { LiveBadge } from '../components/LiveBadge';
import { OrderItems, StatusChip } from '../components/OrderItems';
import { OrderTimeline } from '../components/OrderTimeline';
import { Pagination } from '../components/Pagination';
import { Empty, ErrorState, Loading, Notice } from '../components/States';
import { customerLabel, formatDate, formatMoney, orderRef, plural } from '../lib/format';
import { applyEventToPage, canMove, isOrderStatus, statusLabel, upsertOrder, type ListView } from '../lib/orders';
import { useResource } from '../lib/useResource';

const PAGE_SIZE = 20;
/** After live events, the list is read again this much later (one read for a burst). */
const RELOAD_AFTER_EVENT_MS = 300;
const TABS: { status: OrderStatus | ''; label: string }[] = [{ status: '', label: 'All' }, ...ORDER_STATUSES.map((s) => ({ status: s, label: statusLabel(s) }))];
const tabId = (status: string) => `orders-tab-${status ? status.toLowerCase() : 'all'}`;

type Move = 'ship' | 'deliver' | 'cancel';
const DONE: Record<Move, string> = { ship: 'shipped', deliver: 'delivered', cancel: 'cancelled' };
const FAILED: Record<Move, string> = { ship: 'shipped', deliver: 'marked delivered', cancel: 'cancelled' };

export interface MoveOutcome {
  order?: Order;
  error?: unknown;
  move: Move;
  id: string;
}

function OrderRow({ order, fresh, onMoved }: { order: Order; fresh: boolean; onMoved: (outcome: MoveOutcome) => void }) {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState<'ship' | 'cancel' | null>(null);
  const [pending, setPending] = useState<Move | null>(null);
  const [carrier, setCarrier] = useState('');
  const [tracking, setTracking] = useState('');
  const [reason, setReason] = useState('');
  const hasItems = Array.isArray(order.items) && order.items.length > 0;
  // One order with its timeline, when the row is opened (and again when it moves).
  const detail = useResource((signal) => api.adminGetOrder(order.id, signal), [api, order.id, order.status, open], open);
  const full = detail.data ?? (hasItems ? order : undefined);
  const ref = orderRef(order.id);
  const panelId = `order-${order.id}-items`;
  const units = (order.items ?? []).reduce((n, i) => n + i.quantity, 0);
  const mayShip = canMove(order, 'SHIPPED');
  const mayDeliver = canMove(order, 'DELIVERED');
  const mayCancel = canMove(order, 'CANCELLED');

  // A live move may take an action away while its form is open.
  useEffect(() => {
    if ((form === 'ship' && !mayShip) || (form === 'cancel' && !mayCancel)) setForm(null);
  }, [form, mayShip, mayCancel]);

  const run = async (move: Move, call: () => Promise<Order>) => {
    if (pending) return;
    setPending(move);
    try {
      const moved = await call();
      setForm(null);
      onMoved({ order: moved, move, id: order.id });
    } catch (error) {
      onMoved({ error, move, id: order.id });
    } finally {
      setPending(null);
    }
  };
  const ship = (e: FormEvent) => {
    e.preventDefault();
    void run('ship', () => api.adminShipOrder(order.id, { carrier, trackingNumber: tracking }));
  };
  const cancel = (e: FormEvent) => {
    e.preventDefault();
    void run('cancel', () => api.adminCancelOrder(order.id, reason));
  };

  return (
    <>
      <tr data-testid="admin-order-row" data-order-id={order.id} data-status={order.status}>
        <td>
          <button className="disclosure" aria-expanded={open} aria-controls={panelId} onClick={() => setOpen(!open)}>
            <span aria-hidden="true">{open ? '▾' : '▸'}</span> Order {ref}
          </button>
        </td>
        <td>
          {formatDate(order.createdAt, true)}
          {fresh && (
            <span className="chip chip-new" title="Placed while this page was open">
              New
            </span>
          )}
        </td>
        <td title={order.userId}>{customerLabel(order.userId)}</td>
        <td className="num">{hasItems ? plural(units, 'book') : '—'}</td>
        <td className="num">{formatMoney(order.total)}</td>
        <td>
          <StatusChip status={order.status} />
          {order.carrier && <div className="muted small">{order.carrier}</div>}
        </td>
        <td>
          <div className="order-actions">
            {mayShip && (
              <button className="btn btn-primary btn-small" aria-label={`Ship order ${ref}`} aria-expanded={form === 'ship'} disabled={!!pending} onClick={() => setForm(form === 'ship' ? null : 'ship')}>
                Ship
              </button>
            )}
            {mayDeliver && (
              <button className="btn btn-primary btn-small" aria-label={`Deliver order ${ref}`} disabled={!!pending} onClick={() => void run('deliver', () => api.adminDeliverOrder(order.id))}>
                {pending === 'deliver' ? 'Delivering…' : 'Deliver'}
              </button>
            )}
            {mayCancel && (
              <button className="btn btn-secondary btn-small" aria-label={`Cancel order ${ref}`} aria-expanded={form === 'cancel'} disabled={!!pending} onClick={() => setForm(form === 'cancel' ? null : 'cancel')}>
                Cancel
              </button>
            )}
          </div>
        </td>
      </tr>
      {form && (
        <tr className="action-row">
          <td colSpan={7}>
            {form === 'ship' ? (
              <form className="move-form" aria-label={`Ship order ${ref}`} onSubmit={ship}>
                <div className="field">
                  <label htmlFor={`carrier-${order.id}`}>Carrier</label>
                  <input id={`carrier-${order.id}`} value={carrier} maxLength={100} onChange={(e) => setCarrier(e.target.value)} disabled={!!pending} autoFocus autoComplete="off" />
                </div>
                <div className="field">
                  <label htmlFor={`tracking-${order.id}`}>Tracking number</label>
                  <input id={`tracking-${order.id}`} value={tracking} maxLength={100} onChange={(e) => setTracking(e.target.value)} disabled={!!pending} autoComplete="off" />
                </div>
                <div className="form-actions">
                  <button type="submit" className="btn btn-primary" disabled={!!pending}>
                    {pending === 'ship' ? 'Shipping…' : 'Confirm shipment'}
                  </button>
                  <button type="button" className="btn btn-ghost" disabled={!!pending} onClick={() => setForm(null)}>
                    Close
                  </button>
                </div>
              </form>
            ) : (
              <form className="move-form" aria-label={`Cancel order ${ref}`} onSubmit={cancel}>
                <div className="field">
                  <label htmlFor={`reason-${order.id}`}>Reason (shown to the customer)</label>
                  <input id={`reason-${order.id}`} value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} disabled={!!pending} autoFocus autoComplete="off" />
                </div>
                <div className="form-actions">
                  <button type="submit" className="btn btn-danger" disabled={!!pending}>
                    {pending === 'cancel' ? 'Cancelling…' : 'Confirm cancellation'}
                  </button>
                  <button type="button" className="btn btn-ghost" disabled={!!pending} onClick={() => setForm(null)}>
                    Keep order
                  </button>
                </div>
              </form>
            )}
          </td>
        </tr>
      )}
      {open && (
        <tr className="detail-row">
          <td colSpan={7} id={panelId}>
            {full ? <OrderItems order={full} linkBooks={false} /> : detail.status === 'error' ? <ErrorState error={detail.error} onRetry={detail.reload} /> : <Loading label="Loading items…" />}
            {detail.data?.timeline && detail.data.timeline.length > 0 && <OrderTimeline timeline={detail.data.timeline} headingLevel={3} />}
          </td>
        </tr>
      )}
    </>
  );
}

export default function OrdersAdmin() {
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const page = Math.max(0, Number.parseInt(params.get('page') ?? '0', 10) || 0);
  const wanted = params.get('status');
  const status: OrderStatus | '' = isOrderStatus(wanted) ? wanted : '';
  const orders = useResource((signal) => api.adminListOrders({ page, size: PAGE_SIZE, status: status || undefined }, signal), [api, page, status]);
  const [notice, setNotice] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const view: ListView = { status, page };
  const viewRef = useRef(view);
  viewRef.current = view;

  useEffect(() => {
    document.title = 'Orders · Admin · Bookstore';
  }, []);
  useEffect(() => setNotice(null), [status]);

  // Every order's moves, live: the list changes at once from the event, then is read again (titles, paging),
  // once for a burst of events.
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const reloadSoon = useCallback(() => {
    if (reloadTimer.current) return;
    reloadTimer.current = setTimeout(() => {
      reloadTimer.current = null;
      orders.reload();
    }, RELOAD_AFTER_EVENT_MS);
  }, [orders.reload]);
  useEffect(
    () => () => {
      if (reloadTimer.current) clearTimeout(reloadTimer.current);
    },
    [],
  );
  const live = useEventStream('/ecom/admin/events', {
    onReady: orders.reload,
    onResync: orders.reload,
    onEvent: (ev) => {
      orders.mutate((p) => (p ? applyEventToPage(p, ev, viewRef.current) : p));
      if (ev.type === 'order.created') setFresh((s) => new Set(s).add(ev.orderId));
      reloadSoon();
    },
  });

  const onMoved = useCallback(
    ({ order, error, move, id }: MoveOutcome) => {
      const ref = orderRef(id);
      if (order) {
        orders.mutate((p) => (p ? upsertOrder(p, order, viewRef.current) : p));
        const left = viewRef.current.status && viewRef.current.status !== order.status;
        setNotice({ tone: 'success', text: `Order ${ref} ${DONE[move]}.${left ? ` It is now under ${statusLabel(order.status)}.` : ''}` });
      } else {
        const why = isApiError(error) ? error.userMessage : String(error);
        setNotice({ tone: 'error', text: `Order ${ref} could not be ${FAILED[move]}: ${why}` });
        // 409: it moved meanwhile; show where it is now.
        if (isApiError(error) && error.isConflict) orders.reload();
      }
    },
    [orders.mutate, orders.reload],
  );

  const select = (next: OrderStatus | '') => setParams(next ? { status: next } : {});
  const onTabKey = (e: KeyboardEvent<HTMLButtonElement>) => {
    const at = TABS.findIndex((t) => t.status === status);
    let to = -1;
    if (e.key === 'ArrowRight') to = (at + 1) % TABS.length;
    else if (e.key === 'ArrowLeft') to = (at - 1 + TABS.length) % TABS.length;
    else if (e.key === 'Home') to = 0;
    else if (e.key === 'End') to = TABS.length - 1;
    if (to < 0) return;
    e.preventDefault();
    select(TABS[to].status);
    requestAnimationFrame(() => document.getElementById(tabId(TABS[to].status))?.focus());
  };

  const what = status ? `${statusLabel(status).toLowerCase()} order` : 'order';
  return (
    <div>
      <div className="page-head">
        <div>
          <h1>Orders</h1>
          {orders.data && (
            <p className="muted">
              {plural(orders.data.totalElements, what)}, newest first
            </p>
          )}
        </div>
        <div className="toolbar">
          <LiveBadge status={live} />
          <button className="btn btn-secondary" onClick={orders.reload}>
            Refresh
          </button>
        </div>
      </div>
      <div className="tabs" role="tablist" aria-label="Order status">
        {TABS.map((t) => (
          <button
            key={t.label}
            id={tabId(t.status)}
            className="tab"
            role="tab"
            aria-selected={t.status === status}
            aria-controls="orders-panel"
            tabIndex={t.status === status ? 0 : -1}
            onClick={() => select(t.status)}
            onKeyDown={onTabKey}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="orders-panel" aria-labelledby={tabId(status)}>
        {notice && (
          <Notice tone={notice.tone} onDismiss={() => setNotice(null)}>
            {notice.text}
          </Notice>
        )}
        {orders.status === 'error' && !orders.data ? (
          <ErrorState error={orders.error} onRetry={orders.reload} />
        ) : !orders.data ? (
          <Loading label="Loading orders…" />
        ) : orders.data.content.length === 0 ? (
          <Empty title={status ? `No ${statusLabel(status).toLowerCase()} orders` : 'No orders yet'}>
            {status ? 'Orders in this status appear here as they move.' : 'Orders appear here as soon as shoppers check out.'}
          </Empty>
        ) : (
          <>
            <div className="table-wrap">
              <table className="table">
                <caption className="visually-hidden">{status ? `${statusLabel(status)} orders` : 'All orders'}</caption>
                <thead>
                  <tr>
                    <th scope="col">Order</th>
                    <th scope="col">Placed</th>
                    <th scope="col">Customer</th>
                    <th scope="col" className="num">
                      Books
                    </th>
                    <th scope="col" className="num">
                      Total
                    </th>
                    <th scope="col">Status</th>
                    <th scope="col" className="num">
                      Actions
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {orders.data.content.map((o) => (
                    <OrderRow key={o.id} order={o} fresh={fresh.has(o.id)} onMoved={onMoved} />
                  ))}
                </tbody>
              </table>
            </div>
            <Pagination page={orders.data.number} totalPages={orders.data.totalPages} onPage={(p) => setParams(status ? { status, page: String(p) } : { page: String(p) })} label="Order pages" />
          </>
        )}
      </div>
    </div>
  );
}
