import type { Stock } from '../api/types';
import { stockLabel, stockLevel } from '../lib/stock';

export function StockBadge({ stock, loading }: { stock?: Stock | null; loading?: boolean }) {
  if (loading) return <span className="badge badge-muted">Checking stock…</span>;
  if (!stock) return null;
  const level = stockLevel(stock.available);
  return (
    <span className={`badge badge-${level}`} data-testid="stock-badge">
      {stockLabel(stock.available)}
    </span>
  );
}
