import type { AnalyticsRow } from '../api/types';
import { toNumber } from '../lib/format';
import type { Datum } from './charts';

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));

/** Day label for a `sale_date` (YYYY-MM-DD or a timestamp). */
export function dayLabel(v: unknown): string {
  const s = str(v);
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (!m) return s;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

export function salesOverTime(rows: AnalyticsRow[]): Datum[] {
  return [...rows]
    .sort((a, b) => str(a.sale_date).localeCompare(str(b.sale_date)))
    .map((r) => ({ label: dayLabel(r.sale_date), value: toNumber(r.daily_revenue), note: `${toNumber(r.order_count)} orders` }));
}

export function topBooks(rows: AnalyticsRow[]): Datum[] {
  return [...rows]
    .sort((a, b) => toNumber(a.revenue_rank) - toNumber(b.revenue_rank) || toNumber(b.total_revenue) - toNumber(a.total_revenue))
    .map((r) => ({ label: str(r.title), value: toNumber(r.total_revenue ?? r.revenue), note: `${toNumber(r.units_sold)} sold` }));
}

export function revenueBy(rows: AnalyticsRow[], key: 'genre' | 'author'): Datum[] {
  return rows
    .map((r) => ({ label: str(r[key]) || 'Unknown', value: toNumber(r.revenue), note: `${toNumber(r.units_sold)} sold` }))
    .sort((a, b) => b.value - a.value);
}

export function statusDistribution(rows: AnalyticsRow[]): Datum[] {
  return rows.map((r) => ({ label: str(r.status), value: toNumber(r.order_count), note: `revenue ${toNumber(r.total_revenue).toFixed(2)}` }));
}

export interface InventoryHealth {
  critical: AnalyticsRow[];
  low: AnalyticsRow[];
  ok: number;
}

export function inventoryHealth(rows: AnalyticsRow[]): InventoryHealth {
  const critical = rows.filter((r) => str(r.stock_status) === 'Critical');
  const low = rows.filter((r) => str(r.stock_status) === 'Low');
  return { critical, low, ok: rows.length - critical.length - low.length };
}

export interface Totals {
  revenue: number;
  orders: number;
  avgOrderValue: number;
  unitsSold: number;
}

/** Stat cards: from the status distribution ("sold" excludes CANCELLED) and sales volume. */
export function totals(statusRows: AnalyticsRow[], volumeRows: AnalyticsRow[]): Totals {
  const live = statusRows.filter((r) => str(r.status).toUpperCase() !== 'CANCELLED');
  const revenue = Math.round(live.reduce((s, r) => s + toNumber(r.total_revenue) * 100, 0)) / 100;
  const orders = live.reduce((s, r) => s + toNumber(r.order_count), 0);
  const unitsSold = volumeRows.reduce((s, r) => s + toNumber(r.units_sold), 0);
  return { revenue, orders, avgOrderValue: orders ? Math.round((revenue / orders) * 100) / 100 : 0, unitsSold };
}
