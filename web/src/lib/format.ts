const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const compactMoney = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', notation: 'compact', maximumFractionDigits: 1 });
const dateFmt = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' });
const dateTimeFmt = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' });

export const toNumber = (v: unknown): number => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : 0;
};

export const formatMoney = (v: unknown) => money.format(toNumber(v));
export const formatMoneyCompact = (v: unknown) => compactMoney.format(toNumber(v));

export function formatDate(iso: string | null | undefined, withTime = false): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : (withTime ? dateTimeFmt : dateFmt).format(d);
}

/**
 * A short, human reference for an order instead of a raw UUID. It is the id's last 8 hex digits:
 * order ids are UUIDv7 (ADR 012), whose leading digits are a timestamp shared by every order of the
 * same minute, while the tail is random.
 */
export const orderRef = (id: string) => `#${id.replace(/-/g, '').slice(-8).toUpperCase()}`;

export function plural(n: number, one: string, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Who placed an order, from its `userId` (the token's `sub`). The dev issuer's sub is the user
 * name (`user4`): show it as is. Keycloak's is a UUID: show a short reference, never the raw UUID.
 */
export function customerLabel(userId: string | null | undefined): string {
  if (!userId) return '—';
  return UUID.test(userId) ? `Customer ${orderRef(userId)}` : userId;
}
