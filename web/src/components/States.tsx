import type { ReactNode } from 'react';
import { isApiError } from '../api/errors';
import { useAuth } from '../auth/AuthProvider';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

/** Error with the server's own words (problem+json detail) and a retry button. */
export function ErrorState({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  const auth = useAuth();
  const e = isApiError(error) ? error : null;
  if (e?.isUnauthorized) {
    return (
      <div className="state state-error" role="alert">
        <h2>Please sign in</h2>
        <p>{auth.status === 'expired' ? 'Your session has expired.' : 'You need to be signed in to see this.'}</p>
        <button className="btn btn-primary" onClick={() => void auth.signIn().then((ok) => ok && onRetry?.())}>
          Sign in
        </button>
      </div>
    );
  }
  const heading =
    title ??
    (e?.isNetwork
      ? 'We can’t reach the bookstore right now'
      : e?.isNotFound
        ? 'Not found'
        : e?.isForbidden
          ? 'Access denied'
          : e && e.status >= 500
            ? 'The bookstore is having trouble'
            : 'Something went wrong');
  const message = e ? e.userMessage : error instanceof Error ? error.message : 'An unexpected error occurred.';
  return (
    <div className="state state-error" role="alert">
      <h2>{heading}</h2>
      <p>{message}</p>
      {e && e.status > 0 && <p className="muted small">Error {e.status}{e.title && e.title !== message ? ` · ${e.title}` : ''}</p>}
      {onRetry && (
        <button className="btn btn-primary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="state state-empty">
      <h2>{title}</h2>
      {children && <p>{children}</p>}
      {action}
    </div>
  );
}

export function Notice({ children, onDismiss, tone = 'info' }: { children: ReactNode; onDismiss?: () => void; tone?: 'info' | 'warn' | 'error' | 'success' }) {
  return (
    <div className={`notice notice-${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      <div>{children}</div>
      {onDismiss && (
        <button className="btn btn-ghost btn-small" onClick={onDismiss} aria-label="Dismiss">
          ✕
        </button>
      )}
    </div>
  );
}
