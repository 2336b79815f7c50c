import { useId } from 'react';
import type { TimelineEntry } from '../api/types';
import { customerLabel, formatDate } from '../lib/format';
import { StatusChip } from './OrderItems';

/** Who made a move, for the reader: themselves, the shop, or (for admins) the user. */
export function byLabel(by: string | null | undefined, me?: string | null): string | null {
  if (!by) return null;
  if (me && by === me) return 'you';
  if (by === 'shop') return 'the shop';
  return customerLabel(by);
}

/** An order's life, oldest first: status, when, by whom, and a cancel's reason. */
export function OrderTimeline({ timeline, me, headingLevel = 2 }: { timeline: TimelineEntry[]; me?: string | null; headingLevel?: 2 | 3 }) {
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  const headingId = useId();
  return (
    <section className="timeline-section" aria-labelledby={headingId}>
      <Heading id={headingId}>Timeline</Heading>
      <ol className="timeline" aria-label="Order timeline">
        {timeline.map((e, i) => {
          const who = byLabel(e.by, me);
          return (
            <li key={`${e.status}-${i}`} className="timeline-entry" data-testid="timeline-entry" data-status={e.status}>
              <StatusChip status={e.status} />
              <span className="timeline-meta">
                <time dateTime={e.at}>{formatDate(e.at, true)}</time>
                {who && <span className="muted"> · by {who}</span>}
              </span>
              {e.note && <p className="timeline-note">Reason: {e.note}</p>}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
