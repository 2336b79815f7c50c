export const LOW_STOCK_THRESHOLD = 5;

export type StockLevel = 'out' | 'low' | 'in';

export function stockLevel(available: number): StockLevel {
  if (!(available > 0)) return 'out';
  if (available <= LOW_STOCK_THRESHOLD) return 'low';
  return 'in';
}

/** The badge text: `Out of Stock` / `Only N left` (N ≤ 5) / `In Stock`. */
export function stockLabel(available: number): string {
  const level = stockLevel(available);
  if (level === 'out') return 'Out of Stock';
  if (level === 'low') return `Only ${available} left`;
  return 'In Stock';
}
