import type { LiveStatus } from '../api/useEventStream';

const TEXT: Record<LiveStatus, string | null> = {
  off: null,
  connecting: 'Connecting to live updates…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  unavailable: 'Live updates unavailable',
};

const TITLE: Partial<Record<LiveStatus, string>> = {
  live: 'Changes appear here as they happen, without reloading.',
  reconnecting: 'The live connection dropped; trying again. Reload to see the latest.',
  unavailable: 'Reload the page to see the latest.',
};

/** Whether the page follows its live event stream. */
export function LiveBadge({ status }: { status: LiveStatus }) {
  const text = TEXT[status];
  if (!text) return null;
  return (
    <span className={`live-badge live-${status}`} data-testid="live-status" data-status={status} title={TITLE[status]}>
      <span className="live-dot" aria-hidden="true" />
      {text}
    </span>
  );
}
