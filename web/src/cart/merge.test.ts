import { describe, expect, it } from 'vitest';
import { planCartMerge } from './merge';
import type { GuestLine } from './guestCart';

const g = (bookId: string, quantity: number): GuestLine => ({ bookId, quantity, title: bookId });

describe('planCartMerge', () => {
  it('adds guest lines the server cart does not have', () => {
    expect(planCartMerge([g('a', 2), g('b', 1)], [])).toEqual({ adds: [{ bookId: 'a', quantity: 2 }, { bookId: 'b', quantity: 1 }], capped: [] });
  });

  it('sums quantities with a line already on the server (POST increments)', () => {
    const plan = planCartMerge([g('a', 2)], [{ bookId: 'a', quantity: 3 }]);
    expect(plan.adds).toEqual([{ bookId: 'a', quantity: 2 }]);
    expect(plan.capped).toEqual([]);
  });

  it('caps a line at 99 and reports what was capped', () => {
    const plan = planCartMerge([g('a', 10)], [{ bookId: 'a', quantity: 95 }]);
    expect(plan.adds).toEqual([{ bookId: 'a', quantity: 4 }]);
    expect(plan.capped).toEqual([{ bookId: 'a', requested: 10, added: 4 }]);
  });

  it('adds nothing for a line already full on the server', () => {
    const plan = planCartMerge([g('a', 1)], [{ bookId: 'a', quantity: 99 }]);
    expect(plan.adds).toEqual([]);
    expect(plan.capped).toEqual([{ bookId: 'a', requested: 1, added: 0 }]);
  });

  it('combines duplicate guest lines and ignores invalid ones', () => {
    const plan = planCartMerge([g('a', 1), g('a', 2), g('', 3), g('b', 0), g('c', -1)], []);
    expect(plan.adds).toEqual([{ bookId: 'a', quantity: 3 }]);
  });

  it('an empty guest cart plans nothing and leaves the server cart alone', () => {
    expect(planCartMerge([], [{ bookId: 'a', quantity: 5 }])).toEqual({ adds: [], capped: [] });
  });

  it('is pure: inputs are not modified', () => {
    const guest = [g('a', 1)];
    const server = [{ bookId: 'a', quantity: 1 }];
    const copy = JSON.stringify([guest, server]);
    planCartMerge(guest, server);
    expect(JSON.stringify([guest, server])).toBe(copy);
  });
});
