import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { useApi } from '../api/ApiProvider';
import type { AnalyticsView, AnalyticsViewName } from '../api/types';
import { useEventStream } from '../api/useEventStream';
import { LiveBadge } from '../components/LiveBadge';
import { ErrorState, Loading } from '../components/States';
import { formatMoney, formatMoneyCompact } from '../lib/format';
import { inventoryHealth, revenueBy, salesOverTime, statusDistribution, topBooks, totals } from './analytics';
import { BarChart, ChartCard, DonutChart, LineChart } from './charts';

const VIEWS: AnalyticsViewName[] = [
  'vw_sales_over_time',
  'vw_top_books_by_revenue',
  'vw_revenue_by_genre',
  'vw_revenue_by_author',
  'vw_order_status_distribution',
  'vw_inventory_health',
  'vw_product_sales_volume',
];

const REFRESH_MS = 5000;
/** While order events arrive live, polling only catches what has no event (stock edits, materializer lag). */
const REFRESH_LIVE_MS = 30_000;
/**
 * After an order event: load soon (events of one checkout or a burst of moves come together), and once more a
 * little later, as the analytics views are refreshed from the same change a moment after it happened.
 */
export const EVENT_RELOAD_DELAYS_MS = [400, 2500] as const;

type ViewState = { data?: AnalyticsView; error?: unknown };

const STATUS_COLORS: Record<string, string> = { CONFIRMED: '#5b8a4a', SHIPPED: 'var(--accent)', DELIVERED: '#2c4f8a', PENDING: '#c7893a', CANCELLED: '#b3525f' };

export default function Dashboard() {
  const api = useApi();
  const [views, setViews] = useState<Partial<Record<AnalyticsViewName, ViewState>>>({});
  const [freshness, setFreshness] = useState<number | null>(null);
  const [loadedAt, setLoadedAt] = useState<Date | null>(null);
  const [refreshing, setRefreshing] = useState(false);
  const [auto, setAuto] = useState(true);

  const load = useCallback(async () => {
    setRefreshing(true);
    const results = await Promise.all(
      VIEWS.map(async (name) => {
        try {
          return [name, { data: await api.analyticsView(name) } as ViewState] as const;
        } catch (error) {
          return [name, { error } as ViewState] as const;
        }
      }),
    );
    setViews((prev) => {
      const next = { ...prev };
      // Keep the last good data on a transient failure, but say so.
      for (const [name, s] of results) next[name] = s.data ? s : { data: prev[name]?.data, error: s.error };
      return next;
    });
    try {
      setFreshness(await api.analyticsFreshness());
    } catch {
      setFreshness(null);
    }
    setLoadedAt(new Date());
    setRefreshing(false);
  }, [api]);

  useEffect(() => {
    document.title = 'Dashboard · Admin · Bookstore';
    void load();
  }, [load]);

  // Order events (new orders, moves) refresh the charts as they happen.
  const timers = useRef<ReturnType<typeof setTimeout>[]>([]);
  const autoRef = useRef(auto);
  autoRef.current = auto;
  const loadRef = useRef(load);
  loadRef.current = load;
  const loadSoon = useCallback(() => {
    if (!autoRef.current) return;
    for (const t of timers.current) clearTimeout(t);
    timers.current = EVENT_RELOAD_DELAYS_MS.map((ms) => setTimeout(() => void loadRef.current(), ms));
  }, []);
  useEffect(() => () => timers.current.forEach(clearTimeout), []);
  // The first `ready` comes right after the first load; a later one (a reconnect) may follow missed events.
  const readyOnce = useRef(false);
  const live = useEventStream('/ecom/admin/events', {
    onReady: () => {
      if (readyOnce.current) loadSoon();
      readyOnce.current = true;
    },
    onEvent: loadSoon,
    onResync: loadSoon,
  });

  useEffect(() => {
    if (!auto) return;
    const t = setInterval(
      () => {
        if (document.visibilityState === 'visible') void load();
      },
      live === 'live' ? REFRESH_LIVE_MS : REFRESH_MS,
    );
    return () => clearInterval(t);
  }, [auto, load, live]);

  const rows = (n: AnalyticsViewName) => views[n]?.data?.rows ?? [];
  const t = totals(rows('vw_order_status_distribution'), rows('vw_product_sales_volume'));
  const health = inventoryHealth(rows('vw_inventory_health'));
  const allFailed = VIEWS.every((n) => views[n]?.error && !views[n]?.data);

  const body = (name: AnalyticsViewName, render: () => ReactNode, emptyText: string) => {
    const v = views[name];
    if (!v) return <Loading />;
    if (!v.data) return <ErrorState error={v.error} onRetry={() => void load()} />;
    if (v.data.rows.length === 0) return <p className="muted chart-empty">{emptyText}</p>;
    return render();
  };

  return (
    <div className="dashboard">
      <div className="page-head">
        <div>
          <h1>Dashboard</h1>
          <p className="muted small">
            {loadedAt ? `Updated ${loadedAt.toLocaleTimeString()}` : 'Loading…'}
            {freshness !== null && ` · analytics lag ${freshness < 1 ? '<1' : Math.round(freshness)} s`}
          </p>
        </div>
        <div className="toolbar">
          {auto && <LiveBadge status={live} />}
          <label className="check">
            <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} /> Auto-refresh
          </label>
          <button className="btn btn-secondary" onClick={() => void load()} disabled={refreshing}>
            {refreshing ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
      </div>

      {allFailed ? (
        <ErrorState error={views[VIEWS[0]]?.error} onRetry={() => void load()} title="Analytics are unavailable" />
      ) : (
        <>
          <div className="stat-grid">
            <div className="card stat" data-testid="stat-revenue">
              <span className="stat-label">Revenue</span>
              <span className="stat-value">{formatMoney(t.revenue)}</span>
            </div>
            <div className="card stat" data-testid="stat-orders">
              <span className="stat-label">Orders</span>
              <span className="stat-value">{t.orders}</span>
            </div>
            <div className="card stat">
              <span className="stat-label">Average order</span>
              <span className="stat-value">{formatMoney(t.avgOrderValue)}</span>
            </div>
            <div className="card stat">
              <span className="stat-label">Books sold</span>
              <span className="stat-value">{t.unitsSold}</span>
            </div>
            <div className={`card stat${health.critical.length ? ' stat-alert' : ''}`}>
              <span className="stat-label">Low or out of stock</span>
              <span className="stat-value">{health.critical.length + health.low.length}</span>
            </div>
          </div>

          <div className="chart-grid">
            <ChartCard title="Sales over time" subtitle="Daily revenue" wide>
              {body('vw_sales_over_time', () => <LineChart data={salesOverTime(rows('vw_sales_over_time'))} valueLabel="Revenue" format={formatMoneyCompact} />, 'No sales yet.')}
            </ChartCard>
            <ChartCard title="Top books by revenue">
              {body('vw_top_books_by_revenue', () => <BarChart data={topBooks(rows('vw_top_books_by_revenue'))} valueLabel="Revenue" format={formatMoney} />, 'No books sold yet.')}
            </ChartCard>
            <ChartCard title="Order status">
              {body(
                'vw_order_status_distribution',
                () => <DonutChart data={statusDistribution(rows('vw_order_status_distribution'))} valueLabel="Orders" colorFor={(l, i) => STATUS_COLORS[l] ?? ['#7a6fb0', '#5b8a4a'][i % 2]} />,
                'No orders yet.',
              )}
            </ChartCard>
            <ChartCard title="Revenue by genre">
              {body('vw_revenue_by_genre', () => <BarChart data={revenueBy(rows('vw_revenue_by_genre'), 'genre')} valueLabel="Revenue" format={formatMoney} color="#7a6fb0" />, 'No sales yet.')}
            </ChartCard>
            <ChartCard title="Revenue by author">
              {body('vw_revenue_by_author', () => <BarChart data={revenueBy(rows('vw_revenue_by_author'), 'author')} valueLabel="Revenue" format={formatMoney} color="#c7893a" />, 'No sales yet.')}
            </ChartCard>
            <ChartCard title="Inventory health" subtitle={`${health.ok} OK · ${health.low.length} low · ${health.critical.length} critical`}>
              {body(
                'vw_inventory_health',
                () =>
                  health.critical.length + health.low.length === 0 ? (
                    <p className="muted chart-empty">Every stocked book has more than 3 available.</p>
                  ) : (
                    <table className="table compact">
                      <thead>
                        <tr>
                          <th scope="col">Book</th>
                          <th scope="col" className="num">
                            Available
                          </th>
                          <th scope="col">Status</th>
                        </tr>
                      </thead>
                      <tbody>
                        {[...health.critical, ...health.low].slice(0, 8).map((r, i) => (
                          <tr key={`${String(r.title)}-${i}`}>
                            <td>{String(r.title ?? '')}</td>
                            <td className="num">{String(r.available ?? r.stock_quantity ?? '')}</td>
                            <td>
                              <span className={`chip chip-${String(r.stock_status).toLowerCase()}`}>{String(r.stock_status)}</span>
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  ),
                'No stocked books.',
              )}
            </ChartCard>
          </div>
        </>
      )}
    </div>
  );
}
