import type { Page } from './types';

/**
 * Normalise a paged answer. `/ecom` pages are `{content,totalElements,totalPages,number,size}`;
 * the inventory admin list (`/inven/admin/stock`) is the same in snake_case
 * (`{content,total_elements,total_pages,number,size}`). `{items,total,page,size}` and bare arrays
 * are accepted too, for other deployments.
 */
export function toPage<T>(raw: unknown, fallbackSize = 20): Page<T> {
  if (Array.isArray(raw)) {
    return { content: raw as T[], totalElements: raw.length, totalPages: 1, number: 0, size: raw.length || fallbackSize };
  }
  const r = (raw ?? {}) as Record<string, unknown>;
  const content = (Array.isArray(r.content) ? r.content : Array.isArray(r.items) ? r.items : []) as T[];
  const size = num(r.size) ?? num(r.page_size) ?? fallbackSize;
  const totalElements = num(r.totalElements) ?? num(r.total_elements) ?? num(r.total) ?? content.length;
  const totalPages = num(r.totalPages) ?? num(r.total_pages) ?? num(r.pages) ?? Math.max(1, Math.ceil(totalElements / Math.max(1, size)));
  const number = num(r.number) ?? num(r.page) ?? 0;
  return { content, totalElements, totalPages, number, size };
}

/**
 * A listing answered as a bare array with its paging in headers (`/inven/admin/stock`, as upstream): the rows of
 * one page, `X-Total-Count` rows in all. A body in one of the wrapper shapes is read by toPage.
 */
export function pageFromHeaders<T>(raw: unknown, headers: Headers, query: { page?: number; size?: number }): Page<T> {
  if (!Array.isArray(raw)) return toPage<T>(raw, query.size);
  const size = query.size ?? 20;
  const total = Number.parseInt(headers.get('X-Total-Count') ?? '', 10);
  const totalElements = Number.isFinite(total) ? total : raw.length;
  return { content: raw as T[], totalElements, totalPages: Math.max(1, Math.ceil(totalElements / Math.max(1, size))), number: query.page ?? 0, size };
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
