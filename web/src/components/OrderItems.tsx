import { Link } from 'react-router';
import type { Order, OrderItem } from '../api/types';
import { formatMoney } from '../lib/format';
import { statusLabel } from '../lib/orders';
import { useBookTitles } from '../lib/useBookTitles';

export const itemPrice = (i: OrderItem) => Number(i.priceAtPurchase ?? i.price ?? i.book?.price ?? 0);

/** Line items of an order as a table, titles resolved when the API only gave ids. */
export function OrderItems({ order, linkBooks = true }: { order: Order; linkBooks?: boolean }) {
  const items = order.items ?? [];
  const needTitles = items.filter((i) => !i.title && !i.book?.title).map((i) => i.bookId);
  const titles = useBookTitles(needTitles);
  return (
    <table className="table">
      <caption className="visually-hidden">Items in this order</caption>
      <thead>
        <tr>
          <th scope="col">Book</th>
          <th scope="col" className="num">
            Qty
          </th>
          <th scope="col" className="num">
            Price
          </th>
          <th scope="col" className="num">
            Total
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map((i, n) => {
          const title = i.title ?? i.book?.title ?? titles[i.bookId] ?? 'Book no longer in the catalog';
          return (
            <tr key={i.id ?? `${i.bookId}-${n}`}>
              <td>{linkBooks ? <Link to={`/books/${i.bookId}`}>{title}</Link> : title}</td>
              <td className="num">{i.quantity}</td>
              <td className="num">{formatMoney(itemPrice(i))}</td>
              <td className="num">{formatMoney(itemPrice(i) * i.quantity)}</td>
            </tr>
          );
        })}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row" colSpan={3}>
            Total
          </th>
          <td className="num strong">{formatMoney(order.total)}</td>
        </tr>
      </tfoot>
    </table>
  );
}

export function StatusChip({ status }: { status: string }) {
  return (
    <span className={`chip chip-${status.toLowerCase()}`}>
      {statusLabel(status)}
    </span>
  );
}
