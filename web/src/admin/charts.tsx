import { useEffect, useId, useRef, useState, type ReactNode } from 'react';

/** Hand-written SVG charts (no chart library: keeps the admin chunk small). Each has a data table for screen readers. */

export interface Datum {
  label: string;
  value: number;
  /** Optional secondary text in the data table. */
  note?: string;
}

const fmtDefault = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 2 });

function DataTable({ data, valueLabel, format }: { data: Datum[]; valueLabel: string; format: (v: number) => string }) {
  return (
    <details className="chart-data">
      <summary>Show data</summary>
      <table className="table compact">
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col" className="num">
              {valueLabel}
            </th>
          </tr>
        </thead>
        <tbody>
          {data.map((d, i) => (
            <tr key={`${d.label}-${i}`}>
              <td>{d.label}</td>
              <td className="num">
                {format(d.value)}
                {d.note ? ` · ${d.note}` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

export function ChartCard({ title, subtitle, children, wide }: { title: string; subtitle?: ReactNode; children: ReactNode; wide?: boolean }) {
  const id = useId();
  return (
    <section className={`card chart-card${wide ? ' wide' : ''}`} aria-labelledby={id}>
      <header className="card-head">
        <h2 id={id}>{title}</h2>
        {subtitle && <p className="muted small">{subtitle}</p>}
      </header>
      {children}
    </section>
  );
}

/** Horizontal bars as HTML (crisp text at any width): label, bar, value. */
export function BarChart({ data, valueLabel, format = fmtDefault, color = 'var(--accent)', max = 8 }: { data: Datum[]; valueLabel: string; format?: (v: number) => string; color?: string; max?: number }) {
  const rows = data.slice(0, max);
  const peak = Math.max(1e-9, ...rows.map((d) => d.value));
  return (
    <ol className="bars" aria-label={`${valueLabel} by item`}>
      {rows.map((d, i) => (
        <li key={`${d.label}-${i}`} className="bar-row">
          <span className="bar-label" title={d.label}>
            {d.label}
          </span>
          <span className="bar-track" aria-hidden="true">
            <span className="bar" style={{ width: `${Math.max(1.5, (d.value / peak) * 100)}%`, background: color }} />
          </span>
          <span className="bar-value">
            {format(d.value)}
            {d.note && <span className="visually-hidden"> ({d.note})</span>}
          </span>
        </li>
      ))}
    </ol>
  );
}

/** Width of an element in CSS pixels, so SVG text stays readable at any size. */
function useWidth(fallback: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(([e]) => {
      const w = Math.round(e.contentRect.width);
      if (w > 0) setWidth(w);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width] as const;
}

/** A line with a soft area under it, for a daily series. */
export function LineChart({ data, valueLabel, format = fmtDefault }: { data: Datum[]; valueLabel: string; format?: (v: number) => string }) {
  const gradId = useId().replace(/:/g, '');
  const [box, width] = useWidth(620);
  const height = width < 480 ? 180 : 220;
  const pad = { l: 56, r: 16, t: 14, b: 30 };
  const peak = Math.max(1e-9, ...data.map((d) => d.value));
  const n = data.length;
  const x = (i: number) => pad.l + (n <= 1 ? (width - pad.l - pad.r) / 2 : (i / (n - 1)) * (width - pad.l - pad.r));
  const y = (v: number) => pad.t + (1 - v / peak) * (height - pad.t - pad.b);
  const line = data.map((d, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(d.value).toFixed(1)}`).join(' ');
  const area = n ? `${line} L${x(n - 1).toFixed(1)},${y(0)} L${x(0).toFixed(1)},${y(0)} Z` : '';
  const ticks = [0, 0.5, 1].map((f) => f * peak);
  const labelEvery = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(width / 100))));
  const total = data.reduce((s, d) => s + d.value, 0);
  return (
    <div ref={box}>
      <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${valueLabel} over ${n} days, total ${format(total)}`}>
        <defs>
          <linearGradient id={gradId} x1="0" x2="0" y1="0" y2="1">
            <stop offset="0%" stopColor="var(--accent)" stopOpacity="0.28" />
            <stop offset="100%" stopColor="var(--accent)" stopOpacity="0.02" />
          </linearGradient>
        </defs>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={pad.l} x2={width - pad.r} y1={y(t)} y2={y(t)} className="chart-gridline" />
            <text x={pad.l - 6} y={y(t) + 4} textAnchor="end" className="chart-axis">
              {format(t)}
            </text>
          </g>
        ))}
        {n > 1 && <path d={area} fill={`url(#${gradId})`} />}
        {n > 1 && <path d={line} fill="none" stroke="var(--accent)" strokeWidth={2.2} strokeLinejoin="round" />}
        {data.map((d, i) => (
          <circle key={i} cx={x(i)} cy={y(d.value)} r={n > 40 ? 0 : n === 1 ? 5 : 3.2} fill="var(--surface)" stroke="var(--accent)" strokeWidth={2}>
            <title>{`${d.label}: ${format(d.value)}`}</title>
          </circle>
        ))}
        {data.map((d, i) =>
          i % labelEvery === 0 || i === n - 1 ? (
            <text key={`l${i}`} x={x(i)} y={height - 8} textAnchor="middle" className="chart-axis">
              {d.label}
            </text>
          ) : null,
        )}
      </svg>
      <DataTable data={data} valueLabel={valueLabel} format={format} />
    </div>
  );
}

const DONUT_COLORS = ['var(--accent)', '#c7893a', '#7a6fb0', '#b3525f', '#5b8a4a', '#4d7ea8', '#9a8f7d'];

/** A donut with a legend, for shares (order statuses). */
export function DonutChart({ data, valueLabel, format = fmtDefault, colorFor }: { data: Datum[]; valueLabel: string; format?: (v: number) => string; colorFor?: (label: string, i: number) => string }) {
  const total = data.reduce((s, d) => s + Math.max(0, d.value), 0);
  const r = 60;
  const c = 2 * Math.PI * r;
  let offset = 0;
  const color = (d: Datum, i: number) => colorFor?.(d.label, i) ?? DONUT_COLORS[i % DONUT_COLORS.length];
  return (
    <>
      <div className="donut">
        <svg viewBox="0 0 160 160" className="chart donut-svg" role="img" aria-label={`${valueLabel}: ${data.map((d) => `${d.label} ${format(d.value)}`).join(', ')}`}>
          <circle cx={80} cy={80} r={r} fill="none" stroke="var(--line)" strokeWidth={22} />
          {total > 0 &&
            data.map((d, i) => {
              const len = (Math.max(0, d.value) / total) * c;
              const el = (
                <circle
                  key={d.label}
                  cx={80}
                  cy={80}
                  r={r}
                  fill="none"
                  stroke={color(d, i)}
                  strokeWidth={22}
                  strokeDasharray={`${len} ${c - len}`}
                  strokeDashoffset={-offset}
                  transform="rotate(-90 80 80)"
                >
                  <title>{`${d.label}: ${format(d.value)}`}</title>
                </circle>
              );
              offset += len;
              return el;
            })}
          <text x={80} y={78} textAnchor="middle" className="donut-total">
            {format(total)}
          </text>
          <text x={80} y={96} textAnchor="middle" className="chart-axis">
            total
          </text>
        </svg>
        <ul className="legend">
          {data.map((d, i) => (
            <li key={d.label}>
              <span className="swatch" style={{ background: color(d, i) }} aria-hidden="true" />
              <span>{d.label}</span>
              <span className="muted">{format(d.value)}</span>
            </li>
          ))}
        </ul>
      </div>
    </>
  );
}
