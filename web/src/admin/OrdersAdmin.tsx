import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useApi } from '../api/ApiProvider';
import type { Order } from '../api/types';
import { OrderItems, StatusChip } from '../components/OrderItems';
import { Pagination } from '../components/Pagination';
import { Empty, ErrorState, Loading } from '../components/States';
import { customerLabel, formatDate, formatMoney, orderRef, plural } from '../lib/format';
import { useResource } from '../lib/useResource';

function OrderRow({ order }: { order: Order }) {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const hasItems = Array.isArray(order.items) && order.items.length > 0;
  const detail = useResource((signal) => api.adminGetOrder(order.id, signal), [api, order.id, open], open && !hasItems);
  const full = hasItems ? order : detail.data;
  const panelId = `order-${order.id}-items`;
  const units = (order.items ?? []).reduce((n, i) => n + i.quantity, 0);
  return (
    <>
      <tr data-testid="admin-order-row">
        <td>
          <button className="disclosure" aria-expanded={open} aria-controls={panelId} onClick={() => setOpen(!open)}>
            <span aria-hidden="true">{open ? '▾' : '▸'}</span> Order {orderRef(order.id)}
          </button>
        </td>
        <td>{formatDate(order.createdAt, true)}</td>
        <td title={order.userId}>{customerLabel(order.userId)}</td>
        <td className="num">{hasItems ? plural(units, 'book') : '—'}</td>
        <td className="num">{formatMoney(order.total)}</td>
        <td>
          <StatusChip status={order.status} />
        </td>
      </tr>
      {open && (
        <tr className="detail-row">
          <td colSpan={6} id={panelId}>
            {full ? <OrderItems order={full} linkBooks={false} /> : detail.status === 'error' ? <ErrorState error={detail.error} onRetry={detail.reload} /> : <Loading label="Loading items…" />}
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
  const orders = useResource((signal) => api.adminListOrders({ page, size: 20 }, signal), [api, page]);
  useEffect(() => {
    document.title = 'Orders · Admin · Bookstore';
  }, []);
  return (
    <div>
      <div className="page-head">
        <div>
          <h1>Orders</h1>
          {orders.data && <p className="muted">{plural(orders.data.totalElements, 'order')}, newest first</p>}
        </div>
        <button className="btn btn-secondary" onClick={orders.reload}>
          Refresh
        </button>
      </div>
      {orders.status === 'error' ? (
        <ErrorState error={orders.error} onRetry={orders.reload} />
      ) : !orders.data ? (
        <Loading label="Loading orders…" />
      ) : orders.data.content.length === 0 ? (
        <Empty title="No orders yet">Orders appear here as soon as shoppers check out.</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">All orders</caption>
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
                </tr>
              </thead>
              <tbody>
                {orders.data.content.map((o) => (
                  <OrderRow key={o.id} order={o} />
                ))}
              </tbody>
            </table>
          </div>
          <Pagination page={orders.data.number} totalPages={orders.data.totalPages} onPage={(p) => setParams({ page: String(p) })} label="Order pages" />
        </>
      )}
    </div>
  );
}
