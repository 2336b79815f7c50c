import { describe, expect, it } from 'vitest';
import { stockLabel, stockLevel } from './stock';
import { inventoryHealth, salesOverTime, topBooks, totals } from '../admin/analytics';

describe('stock badge', () => {
  it('Out of Stock / Only N left (N ≤ 5) / In Stock', () => {
    expect(stockLabel(0)).toBe('Out of Stock');
    expect(stockLabel(-2)).toBe('Out of Stock');
    expect(stockLabel(1)).toBe('Only 1 left');
    expect(stockLabel(5)).toBe('Only 5 left');
    expect(stockLabel(6)).toBe('In Stock');
    expect(stockLevel(50)).toBe('in');
  });
});

describe('analytics view mapping', () => {
  it('sales over time sorted by day; numeric strings accepted', () => {
    const d = salesOverTime([
      { sale_date: '2026-11-27', order_count: 2, daily_revenue: '99.98' },
      { sale_date: '2026-11-26', order_count: 1, daily_revenue: 10 },
    ]);
    expect(d.map((x) => x.value)).toEqual([10, 99.98]);
    expect(d[0].label).toBe('Nov 26');
  });

  it('top books in rank order', () => {
    const d = topBooks([
      { title: 'B', total_revenue: 10, units_sold: 1, revenue_rank: 2 },
      { title: 'A', total_revenue: 50, units_sold: 1, revenue_rank: 1 },
    ]);
    expect(d.map((x) => x.label)).toEqual(['A', 'B']);
  });

  it('totals exclude cancelled orders; inventory health buckets', () => {
    const t = totals(
      [
        { status: 'CONFIRMED', order_count: 3, total_revenue: '150.00' },
        { status: 'CANCELLED', order_count: 1, total_revenue: 20 },
      ],
      [{ units_sold: 4 }, { units_sold: '2' }],
    );
    expect(t).toEqual({ revenue: 150, orders: 3, avgOrderValue: 50, unitsSold: 6 });
    const h = inventoryHealth([{ stock_status: 'Critical' }, { stock_status: 'Low' }, { stock_status: 'OK' }, { stock_status: 'OK' }]);
    expect([h.critical.length, h.low.length, h.ok]).toEqual([1, 1, 2]);
  });
});
