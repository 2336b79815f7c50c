#!/usr/bin/env node
// A CONTRACT STUB of `bookstore serve` — in-memory, written from docs/API.md by the front-end
// engineer — so the e2e specs and the SPA can be exercised before the Rust backend exists.
// It is not the backend and proves nothing about it: `npm run e2e` runs against the real binary;
// `E2E_STUB=1 npm run e2e` runs against this. Dev issuer included (code + PKCE S256, refresh,
// password grant, logout revocation). Tokens are JWT-shaped but not signed.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';

const PORT = Number(process.env.PORT ?? 8080);
const DIST = process.env.STUB_DIST ?? new URL('../../dist/', import.meta.url).pathname;
const USERS = Object.fromEntries(
  (process.env.BOOKSTORE_DEV_USERS ?? 'user1:user1-e2e-pw:customer,admin1:admin1-e2e-pw:customer+admin').split(',').map((e) => {
    const [u, p, r] = e.split(':');
    return [u, { username: u, password: p, roles: r.split('+'), sub: createHash('sha256').update(u).digest('hex').slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5') }];
  }),
);

// ------------------------------------------------------------------ data
const now = () => new Date().toISOString();
const seed = [
  ['The Pragmatic Programmer', 'Thomas, Hunt', 49.99, 'Software Engineering', '978-0135957059', 2019],
  ['Clean Code', 'Martin', 39.99, 'Software Engineering', '978-0132350884', 2008],
  ['Designing Data-Intensive Applications', 'Kleppmann', 59.99, 'Systems Design', '978-1449373320', 2017],
  ['Domain-Driven Design', 'Evans', 54.99, 'Software Architecture', '978-0321125217', 2003],
  ['Microservices Patterns', 'Richardson', 44.99, 'Software Architecture', '978-1617294549', 2018],
  ['Kubernetes in Action', 'Luksa', 64.99, 'DevOps', '978-1617293726', 2017],
  ['Spring in Action', 'Walls', 49.99, 'Java', '978-1617297571', 2022],
  ['Learning Python', 'Lutz', 69.99, 'Python', '978-1449355739', 2013],
  ['Site Reliability Engineering', 'Murphy, Beyer et al.', 59.99, 'DevOps', '978-1491929124', 2016],
  ['Kafka: The Definitive Guide', 'Shapira, Palino et al.', 54.99, 'Data Engineering', '978-1492043089', 2021],
];
const books = new Map();
const stock = new Map();
seed.forEach(([title, author, price, genre, isbn, publishedYear], i) => {
  const id = `00000000-0000-0000-0000-${String(i + 1).padStart(12, '0')}`;
  books.set(id, { id, title, author, price, description: `${title} by ${author}.`, coverUrl: null, isbn, genre, publishedYear, createdAt: now() });
  stock.set(id, { book_id: id, quantity: 50, reserved: 0, updated_at: now() });
});
const carts = new Map(); // sub -> [{id, bookId, quantity, createdAt}]
const orders = []; // {id, userId, total, status, createdAt, items}
const idem = new Map(); // sub|key -> order id
const csrf = new Map(); // token -> sub
const codes = new Map(); // code -> {user, challenge, redirect_uri, client_id, nonce}
const refresh = new Map(); // token -> username
const issued = new Set(); // access tokens

const stockView = (s) => ({ ...s, available: Math.max(0, s.quantity - s.reserved) });
const money = (n) => Math.round(n * 100) / 100;

// Orders move (docs/API.md "Orders"): CONFIRMED → SHIPPED → DELIVERED (admin); CONFIRMED → CANCELLED.
const STATUSES = ['CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'PENDING'];
const MOVES = { PENDING: ['CONFIRMED', 'CANCELLED'], CONFIRMED: ['SHIPPED', 'CANCELLED'], SHIPPED: ['DELIVERED'], DELIVERED: [], CANCELLED: [] };
/** The order as the API answers it: `timeline` only for one order; a shopper reads an admin as `shop`. */
const orderView = (o, { one = false, reader = null } = {}) => {
  const { history, ...rest } = o;
  const out = { ...rest, nextStatuses: MOVES[o.status] ?? [] };
  if (one) out.timeline = history.map((h) => ({ ...h, by: reader && h.by !== reader ? 'shop' : h.by }));
  return out;
};
// Live events: every open stream, with the order it follows (null: all, the admins' stream).
const streams = new Set();
let eventSeq = 0;
function publish(type, o, extra) {
  const data = { type, orderId: o.id, userId: o.userId, ...extra };
  const id = `${Date.now().toString(16)}-${++eventSeq}`;
  for (const s of streams) {
    if (s.order && s.order !== o.id) continue;
    const { actor, ...forOwner } = data;
    s.res.write(`event: ${type}\nid: ${id}\ndata: ${JSON.stringify(s.order ? forOwner : data)}\n\n`);
  }
}
function openStream(req, res, order) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
  res.write('event: ready\ndata: {}\n\n');
  const s = { res, order };
  streams.add(s);
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  req.on('close', () => {
    clearInterval(keepAlive);
    streams.delete(s);
  });
}
/** One move: 200 with the order (also when it already happened), else 409 naming where it may go. */
function move(res, o, to, by, fields = {}) {
  if (o.status === to) return send(res, 200, orderView(o, { one: true, reader: o.userId === by ? by : null }));
  if (!(MOVES[o.status] ?? []).includes(to)) {
    return problem(res, 409, 'Conflict', `The order is ${o.status}; it can only move to ${(MOVES[o.status] ?? []).join(', ') || 'nowhere'}.`, {
      type: '/problems/order-status',
      currentStatus: o.status,
      allowedStatuses: MOVES[o.status] ?? [],
    });
  }
  const at = now();
  o.status = to;
  if (fields.carrier) o.carrier = fields.carrier;
  if (fields.trackingNumber) o.trackingNumber = fields.trackingNumber;
  if (to === 'CANCELLED') {
    for (const i of o.items) {
      const s = stock.get(i.bookId);
      if (s) {
        s.quantity += i.quantity;
        s.updated_at = at;
      }
    }
  }
  o.history.push({ status: to, at, by, note: fields.reason || null });
  publish(`order.${to.toLowerCase()}`, o, { status: to, at, note: fields.reason || null, carrier: o.carrier, trackingNumber: o.trackingNumber, actor: by });
  return send(res, 200, orderView(o, { one: true, reader: o.userId === by ? by : null }));
}
const text = (v, max) => (typeof v === 'string' ? v.trim().slice(0, max) : undefined);

// ------------------------------------------------------------------ helpers
const send = (res, status, body, headers = {}) => {
  const h = { 'cache-control': 'no-store', ...headers };
  if (body === undefined) {
    res.writeHead(status, h);
    return res.end();
  }
  if (typeof body === 'string') {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...h });
    return res.end(body);
  }
  res.writeHead(status, { 'content-type': 'application/json', ...h });
  res.end(JSON.stringify(body));
};
const problem = (res, status, title, detail, extra = {}) =>
  send(res, status, { type: 'about:blank', title, status, detail, ...extra }, { 'content-type': 'application/problem+json' });
const readBody = (req) =>
  new Promise((resolve) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data));
  });
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims) => `${b64({ alg: 'RS256', typ: 'JWT', kid: 'stub' })}.${b64(claims)}.${Buffer.from(randomUUID()).toString('base64url')}`;
const decode = (t) => {
  try {
    return JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString());
  } catch {
    return null;
  }
};
function page(list, q, sortable = true) {
  const size = Math.min(100, Math.max(1, Number(q.get('size') ?? 20) || 20));
  const number = Math.max(0, Number(q.get('page') ?? 0) || 0);
  let items = [...list];
  if (sortable && q.get('sort')) {
    const [field, dir] = q.get('sort').split(',');
    items.sort((a, b) => (a[field] < b[field] ? -1 : a[field] > b[field] ? 1 : 0) * (dir === 'desc' ? -1 : 1));
  }
  return { content: items.slice(number * size, number * size + size), totalElements: items.length, totalPages: Math.ceil(items.length / size), number, size };
}

function tokensFor(user, issuer, nonce) {
  const iat = Math.floor(Date.now() / 1000);
  const base = { iss: issuer, aud: 'ui-client', sub: user.sub, iat, exp: iat + 900, preferred_username: user.username, email: `${user.username}@example.test`, roles: user.roles };
  const access = jwt({ ...base, jti: randomUUID() });
  issued.add(access);
  const rt = randomUUID();
  refresh.set(rt, user.username);
  return { access_token: access, id_token: jwt({ ...base, nonce }), refresh_token: rt, token_type: 'Bearer', expires_in: 900, scope: 'openid profile email' };
}

function auth(req) {
  const h = req.headers.authorization ?? '';
  if (!h.startsWith('Bearer ')) return null;
  const t = h.slice(7);
  const c = decode(t);
  if (!issued.has(t) || !c || c.exp < Date.now() / 1000) return null;
  return { sub: c.sub, roles: c.roles, username: c.preferred_username };
}

const loginPage = (params, error = '') => `<!doctype html><html><head><title>Sign in · Bookstore dev issuer</title>
<style>body{font-family:system-ui;background:#f7f5f0;display:grid;place-items:center;min-height:100vh;margin:0}form{background:#fff;padding:28px;border-radius:12px;border:1px solid #e3ded3;display:grid;gap:12px;width:300px}label{display:grid;gap:4px;font-weight:600}input{padding:8px;border:1px solid #cfc8ba;border-radius:8px;font:inherit}button{padding:10px;border:0;border-radius:8px;background:#205e5b;color:#fff;font-weight:600}</style></head>
<body><form method="post" action="/auth/authorize"><h1>Sign in</h1>${error ? `<p role="alert">${error}</p>` : ''}
${[...params].map(([k, v]) => `<input type="hidden" name="${k}" value="${String(v).replace(/"/g, '&quot;')}">`).join('')}
<label>Username <input name="username" autocomplete="username" autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button></form></body></html>`;

function analytics(name) {
  const live = orders.filter((o) => o.status !== 'CANCELLED');
  const items = live.flatMap((o) => o.items.map((i) => ({ ...i, createdAt: o.createdAt })));
  const group = (key) => {
    const m = new Map();
    for (const i of items) {
      const b = books.get(i.bookId) ?? { title: i.title, author: '?', genre: '?' };
      const k = key(b, i);
      const g = m.get(k) ?? { units_sold: 0, revenue: 0, b };
      g.units_sold += i.quantity;
      g.revenue = money(g.revenue + i.quantity * i.priceAtPurchase);
      m.set(k, g);
    }
    return [...m.entries()];
  };
  const byDay = () => {
    const m = new Map();
    for (const o of live) {
      const d = o.createdAt.slice(0, 10);
      const g = m.get(d) ?? { sale_date: d, order_count: 0, daily_revenue: 0 };
      g.order_count++;
      g.daily_revenue = money(g.daily_revenue + o.total);
      m.set(d, g);
    }
    return [...m.values()];
  };
  switch (name) {
    case 'vw_product_sales_volume':
      return group((b) => b.title).map(([, g]) => ({ title: g.b.title, author: g.b.author, units_sold: g.units_sold, revenue: g.revenue }));
    case 'vw_top_books_by_revenue':
      return group((b) => b.title)
        .map(([, g]) => ({ title: g.b.title, author: g.b.author, units_sold: g.units_sold, total_revenue: g.revenue }))
        .sort((a, b) => b.total_revenue - a.total_revenue)
        .map((r, i) => ({ ...r, revenue_rank: i + 1 }));
    case 'vw_revenue_by_author':
      return group((b) => b.author).map(([author, g]) => ({ author, units_sold: g.units_sold, revenue: g.revenue }));
    case 'vw_revenue_by_genre':
      return group((b) => b.genre).map(([genre, g]) => ({ genre, units_sold: g.units_sold, revenue: g.revenue }));
    case 'vw_sales_over_time':
      return byDay();
    case 'vw_avg_order_value':
      return byDay().map((d) => ({ ...d, avg_order_value: money(d.daily_revenue / d.order_count) }));
    case 'vw_order_status_distribution': {
      const m = new Map();
      for (const o of orders) {
        const g = m.get(o.status) ?? { status: o.status, order_count: 0, total_revenue: 0 };
        g.order_count++;
        g.total_revenue = money(g.total_revenue + o.total);
        m.set(o.status, g);
      }
      return [...m.values()];
    }
    case 'vw_inventory_health':
      return [...stock.values()].map((s) => {
        const b = books.get(s.book_id);
        const available = Math.max(0, s.quantity - s.reserved);
        return { title: b?.title, author: b?.author, stock_quantity: s.quantity, reserved: s.reserved, available, stock_status: available === 0 ? 'Critical' : available <= 3 ? 'Low' : 'OK' };
      });
    default:
      return null;
  }
}

function validateBook(b, creating) {
  const errors = [];
  if (!b.title || !String(b.title).trim()) errors.push({ field: 'title', message: 'must not be blank' });
  if (!b.author || !String(b.author).trim()) errors.push({ field: 'author', message: 'must not be blank' });
  if (typeof b.price !== 'number' || !(b.price > 0)) errors.push({ field: 'price', message: 'must be a number greater than 0' });
  if (creating && b.initialStock !== undefined && !(Number.isInteger(b.initialStock) && b.initialStock >= 0)) errors.push({ field: 'initialStock', message: 'must be a whole number ≥ 0' });
  return errors;
}

// ------------------------------------------------------------------ routes
async function handle(req, res) {
  const url = new URL(req.url, `http://${req.headers.host}`);
  const p = url.pathname;
  const q = url.searchParams;
  const m = req.method;
  const issuer = `http://${req.headers.host}/auth`;

  // ---- dev issuer
  if (p === '/auth/.well-known/openid-configuration')
    return send(res, 200, {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      end_session_endpoint: `${issuer}/logout`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'password'],
      code_challenge_methods_supported: ['S256'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
  if (p === '/auth/jwks') return send(res, 200, { keys: [] });
  if (p === '/auth/authorize' && m === 'GET') {
    if (q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) return send(res, 400, '<p>PKCE S256 required</p>');
    return send(res, 200, loginPage(q));
  }
  if (p === '/auth/authorize' && m === 'POST') {
    const f = new URLSearchParams(await readBody(req));
    const u = USERS[f.get('username')];
    if (!u || u.password !== f.get('password')) {
      const keep = new URLSearchParams([...f].filter(([k]) => !['username', 'password'].includes(k)));
      return send(res, 200, loginPage(keep, 'Wrong username or password.'));
    }
    const code = randomUUID();
    codes.set(code, { user: u, challenge: f.get('code_challenge'), redirect_uri: f.get('redirect_uri'), nonce: f.get('nonce') ?? undefined });
    const to = new URL(f.get('redirect_uri'));
    to.searchParams.set('code', code);
    if (f.get('state')) to.searchParams.set('state', f.get('state'));
    return send(res, 302, undefined, { location: to.toString() });
  }
  if (p === '/auth/token' && m === 'POST') {
    const f = new URLSearchParams(await readBody(req));
    const bad = (d) => send(res, 400, { error: 'invalid_grant', error_description: d });
    if (f.get('grant_type') === 'authorization_code') {
      const c = codes.get(f.get('code'));
      codes.delete(f.get('code'));
      if (!c) return bad('unknown code');
      const verifier = f.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== c.challenge) return bad('PKCE verification failed');
      if (f.get('redirect_uri') !== c.redirect_uri) return bad('redirect_uri mismatch');
      return send(res, 200, tokensFor(c.user, issuer, c.nonce));
    }
    if (f.get('grant_type') === 'refresh_token') {
      const name = refresh.get(f.get('refresh_token'));
      if (!name) return bad('refresh token revoked or unknown');
      refresh.delete(f.get('refresh_token'));
      return send(res, 200, tokensFor(USERS[name], issuer));
    }
    if (f.get('grant_type') === 'password') {
      const u = USERS[f.get('username')];
      if (!u || u.password !== f.get('password')) return bad('bad credentials');
      return send(res, 200, tokensFor(u, issuer));
    }
    return send(res, 400, { error: 'unsupported_grant_type' });
  }
  if (p === '/auth/logout' && m === 'POST') {
    const f = new URLSearchParams(await readBody(req));
    refresh.delete(f.get('refresh_token'));
    return send(res, 204);
  }

  // ---- public
  if (['/healthz', '/readyz', '/inven/health', '/ecom/actuator/health'].includes(p)) return send(res, 200, { status: 'ok' });
  if (p === '/ecom/books' && m === 'GET') return send(res, 200, page([...books.values()], q.get('sort') ? q : new URLSearchParams([...q, ['sort', 'title']])));
  if (p === '/ecom/books/search' && m === 'GET') {
    const term = (q.get('q') ?? '').toLowerCase();
    if (!term || term.length > 200) return problem(res, 422, 'Invalid query', 'q must be 1–200 characters');
    const hits = [...books.values()].filter((b) => [b.title, b.author, b.genre, b.isbn].some((v) => String(v ?? '').toLowerCase().includes(term)));
    return send(res, 200, page(hits, new URLSearchParams([...q, ['sort', 'title']])));
  }
  let mm;
  if ((mm = p.match(/^\/ecom\/books\/([^/]+)$/)) && m === 'GET') {
    const b = books.get(mm[1]);
    return b ? send(res, 200, b) : problem(res, 404, 'Not Found', 'No such book');
  }
  if (p === '/inven/stock/bulk') {
    const ids = (q.get('book_ids') ?? '').split(',').filter(Boolean);
    if (ids.length > 50) return problem(res, 422, 'Too many ids', 'at most 50 book ids');
    return send(res, 200, ids.filter((id) => stock.has(id)).map((id) => stockView(stock.get(id))));
  }
  if ((mm = p.match(/^\/inven\/stock\/([^/]+)$/))) {
    const s = stock.get(mm[1]);
    return s ? send(res, 200, stockView(s)) : problem(res, 404, 'Not Found', 'No stock for this book');
  }

  if (!p.startsWith('/ecom') && !p.startsWith('/inven') && !p.startsWith('/analytics') && !p.startsWith('/csrf')) return serveStatic(p, req, res);

  // ---- authenticated
  const who = auth(req);
  if (!who) return problem(res, 401, 'Unauthorized', 'A valid bearer token is required');
  if (p === '/csrf/token') {
    const t = randomUUID();
    csrf.set(t, who.sub);
    return send(res, 200, { token: t });
  }
  if (m !== 'GET') {
    // Single use: the token is spent; every answer hands out the next one, a refusal in its body too.
    const sent = req.headers['x-csrf-token'];
    const owner = csrf.get(sent);
    csrf.delete(sent);
    const next = randomUUID();
    csrf.set(next, who.sub);
    res.setHeader('x-csrf-token', next);
    if (owner !== who.sub) return problem(res, 403, 'Forbidden', 'Invalid CSRF token', { token: next });
  }
  const isAdminPath = p.startsWith('/ecom/admin') || p.startsWith('/inven/admin') || p.startsWith('/analytics');
  if (isAdminPath && !who.roles.includes('admin')) return problem(res, 403, 'Forbidden', 'The admin role is required');
  const body = m === 'GET' || m === 'DELETE' ? {} : JSON.parse((await readBody(req)) || '{}');
  const cart = carts.get(who.sub) ?? [];
  carts.set(who.sub, cart);
  const withBook = (i) => ({ ...i, book: books.get(i.bookId) ?? null });

  if (p === '/ecom/cart' && m === 'GET') return send(res, 200, cart.map(withBook));
  if (p === '/ecom/cart' && m === 'POST') {
    if (!books.has(body.bookId)) return problem(res, 404, 'Not Found', 'No such book');
    if (!(Number.isInteger(body.quantity) && body.quantity >= 1 && body.quantity <= 99)) return problem(res, 422, 'Invalid quantity', 'quantity must be 1–99', { errors: [{ field: 'quantity', message: 'must be 1–99' }] });
    const line = cart.find((i) => i.bookId === body.bookId);
    if (line) {
      line.quantity = Math.min(99, line.quantity + body.quantity);
      return send(res, 200, withBook(line));
    }
    cart.push({ id: randomUUID(), userId: who.sub, bookId: body.bookId, quantity: body.quantity, createdAt: now() });
    const created = cart[cart.length - 1];
    return send(res, 201, withBook(created), { location: `/ecom/cart/${created.id}` });
  }
  if ((mm = p.match(/^\/ecom\/cart\/([^/]+)$/))) {
    const line = cart.find((i) => i.id === mm[1]);
    if (!line) return problem(res, 404, 'Not Found', 'No such cart item');
    if (m === 'DELETE') {
      cart.splice(cart.indexOf(line), 1);
      return send(res, 204);
    }
    if (m === 'PUT') {
      if (!(Number.isInteger(body.quantity) && body.quantity >= 1 && body.quantity <= 99)) return problem(res, 422, 'Invalid quantity', 'quantity must be 1–99');
      line.quantity = body.quantity;
      return send(res, 200, withBook(line));
    }
  }
  if (p === '/ecom/checkout' && m === 'POST') {
    const key = req.headers['idempotency-key'];
    if (key && idem.has(`${who.sub}|${key}`)) return send(res, 200, orderView(orders.find((o) => o.id === idem.get(`${who.sub}|${key}`))));
    if (cart.length === 0) return problem(res, 409, 'Conflict', 'Your cart is empty.');
    const short = cart.filter((i) => stockView(stock.get(i.bookId) ?? { quantity: 0, reserved: 0 }).available < i.quantity);
    if (short.length) return problem(res, 409, 'Insufficient stock', `Not enough stock for: ${short.map((i) => books.get(i.bookId)?.title).join(', ')}`);
    await new Promise((r) => setTimeout(r, 150)); // a realistic pause, so double clicks overlap
    if (key && idem.has(`${who.sub}|${key}`)) return send(res, 200, orderView(orders.find((o) => o.id === idem.get(`${who.sub}|${key}`))));
    const items = cart.map((i) => ({ bookId: i.bookId, title: books.get(i.bookId).title, quantity: i.quantity, priceAtPurchase: books.get(i.bookId).price }));
    for (const i of items) {
      const s = stock.get(i.bookId);
      s.quantity -= i.quantity;
      s.updated_at = now();
    }
    const createdAt = now();
    const order = { id: randomUUID(), userId: who.sub, total: money(items.reduce((t, i) => t + i.quantity * i.priceAtPurchase, 0)), status: 'CONFIRMED', createdAt, items, carrier: null, trackingNumber: null, history: [{ status: 'CONFIRMED', at: createdAt, by: who.sub, note: null }] };
    orders.unshift(order);
    if (key) idem.set(`${who.sub}|${key}`, order.id);
    cart.length = 0;
    publish('order.created', order, { total: order.total.toFixed(2), items: items.map((i) => ({ bookId: i.bookId, quantity: i.quantity, priceAtPurchase: i.priceAtPurchase.toFixed(2) })) });
    return send(res, 201, orderView(order));
  }
  const statusFilter = q.get('status');
  if (statusFilter && !STATUSES.includes(statusFilter) && /^\/ecom\/(admin\/)?orders$/.test(p)) return problem(res, 422, 'Invalid status', `status must be one of ${STATUSES.join(', ')}`);
  const filtered = (list) => (statusFilter ? list.filter((o) => o.status === statusFilter) : list);
  if (p === '/ecom/orders' && m === 'GET') {
    const pg = page(filtered(orders.filter((o) => o.userId === who.sub)), q, false);
    return send(res, 200, { ...pg, content: pg.content.map((o) => orderView(o)) });
  }
  if ((mm = p.match(/^\/ecom\/orders\/([^/]+)(\/cancel|\/events)?$/))) {
    const o = orders.find((x) => x.id === mm[1] && x.userId === who.sub);
    if (!o) return problem(res, 404, 'Not Found', 'No such order');
    if (!mm[2] && m === 'GET') return send(res, 200, orderView(o, { one: true, reader: who.sub }));
    if (mm[2] === '/events' && m === 'GET') return openStream(req, res, o.id);
    if (mm[2] === '/cancel' && m === 'POST') return move(res, o, 'CANCELLED', who.sub, { reason: text(body.reason, 500) });
    return problem(res, 405, 'Method Not Allowed');
  }

  // ---- admin
  if (p === '/ecom/admin/books' && m === 'GET') return send(res, 200, page([...books.values()], q.get('sort') ? q : new URLSearchParams([...q, ['sort', 'title']])));
  if (p === '/ecom/admin/books' && m === 'POST') {
    const errors = validateBook(body, true);
    if (errors.length) return problem(res, 422, 'Validation failed', `${errors.length} field(s) are invalid`, { errors });
    const id = randomUUID();
    const { initialStock = 0, ...fields } = body;
    books.set(id, { id, description: null, coverUrl: null, isbn: null, genre: null, publishedYear: null, ...fields, createdAt: now() });
    stock.set(id, { book_id: id, quantity: initialStock, reserved: 0, updated_at: now() });
    return send(res, 201, books.get(id), { location: `/ecom/admin/books/${id}` });
  }
  if ((mm = p.match(/^\/ecom\/admin\/books\/([^/]+)$/))) {
    const b = books.get(mm[1]);
    if (!b) return problem(res, 404, 'Not Found', 'No such book');
    if (m === 'GET') return send(res, 200, b);
    if (m === 'PUT') {
      const errors = validateBook(body, false);
      if (errors.length) return problem(res, 422, 'Validation failed', `${errors.length} field(s) are invalid`, { errors });
      books.set(b.id, { ...b, ...body, id: b.id });
      return send(res, 200, books.get(b.id));
    }
    if (m === 'DELETE') {
      if (orders.some((o) => o.items.some((i) => i.bookId === b.id))) return problem(res, 409, 'Conflict', 'The book has orders.');
      books.delete(b.id);
      stock.delete(b.id);
      return send(res, 204);
    }
  }
  if (p === '/ecom/admin/orders' && m === 'GET') {
    const pg = page(filtered(orders), q, false);
    return send(res, 200, { ...pg, content: pg.content.map((o) => orderView(o)) });
  }
  if (p === '/ecom/admin/events' && m === 'GET') return openStream(req, res, null);
  if ((mm = p.match(/^\/ecom\/admin\/orders\/([^/]+)(\/ship|\/deliver|\/cancel)?$/))) {
    const o = orders.find((x) => x.id === mm[1]);
    if (!o) return problem(res, 404, 'Not Found', 'No such order');
    if (!mm[2] && m === 'GET') return send(res, 200, orderView(o, { one: true }));
    if (mm[2] === '/ship' && m === 'POST') return move(res, o, 'SHIPPED', who.sub, { carrier: text(body.carrier, 100), trackingNumber: text(body.trackingNumber, 100) });
    if (mm[2] === '/deliver' && m === 'POST') return move(res, o, 'DELIVERED', who.sub);
    if (mm[2] === '/cancel' && m === 'POST') return move(res, o, 'CANCELLED', who.sub, { reason: text(body.reason, 500) });
    return problem(res, 405, 'Method Not Allowed');
  }
  if (p === '/inven/admin/stock' && m === 'GET') {
    // An array, as upstream; the paging travels in headers.
    const pg = page([...stock.values()].map(stockView), q, false);
    return send(res, 200, pg.content, { 'x-total-count': String(pg.totalElements) });
  }
  if ((mm = p.match(/^\/inven\/admin\/stock\/([^/]+)(\/adjust)?$/))) {
    const s = stock.get(mm[1]);
    if (!s) return problem(res, 404, 'Not Found', 'No stock row');
    if (!mm[2] && m === 'PUT') {
      if (!(Number.isInteger(body.quantity) && body.quantity >= 0)) return problem(res, 422, 'Invalid quantity', 'quantity must be ≥ 0');
      if (body.quantity < s.reserved) return problem(res, 409, 'Conflict', `quantity below the ${s.reserved} reserved`);
      s.quantity = body.quantity;
    } else if (mm[2] && m === 'POST') {
      if (!Number.isInteger(body.delta)) return problem(res, 422, 'Invalid delta', 'delta must be an integer');
      if (s.quantity + body.delta < 0) return problem(res, 409, 'Conflict', 'The adjustment would make the quantity negative.');
      s.quantity += body.delta;
    } else return problem(res, 405, 'Method Not Allowed');
    s.updated_at = now();
    return send(res, 200, stockView(s));
  }
  if ((mm = p.match(/^\/analytics\/views\/([^/]+)$/))) {
    const rows = analytics(mm[1]);
    return rows ? send(res, 200, { name: mm[1], refreshedAt: now(), rows }) : problem(res, 404, 'Not Found', 'No such view');
  }
  if (p === '/analytics/freshness') return send(res, 200, { seconds: 0.4 });
  return problem(res, 404, 'Not Found', `No route for ${m} ${p}`);
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.png': 'image/png' };
function serveStatic(p, req, res) {
  const file = normalize(join(DIST, decodeURIComponent(p === '/' ? '/index.html' : p)));
  if (file.startsWith(DIST) && existsSync(file) && statSync(file).isFile()) {
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    return res.end(readFileSync(file));
  }
  // Only a browser asking for a page gets the app; any other client gets a JSON 404.
  if (!/(^|,)\s*text\/html/.test(req.headers.accept ?? '')) return problem(res, 404, 'Not Found');
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(readFileSync(join(DIST, 'index.html')));
}

createServer((req, res) => {
  handle(req, res).catch((e) => {
    console.error(e);
    problem(res, 500, 'Internal Server Error', String(e));
  });
}).listen(PORT, '127.0.0.1', () => console.log(`contract stub on http://127.0.0.1:${PORT}`));
