/**
 * A small SVG bar chart, no library: for each measured row, one horizontal bar per client at its
 * median with a whisker from the minimum to the maximum, on a logarithmic axis (the figures span
 * milliseconds to seconds), or a short note where a client has no figure ("never", "cannot load").
 */

export interface ChartBar {
  readonly series: string;
  /** The median, with the spread, or null with a note in its place. */
  readonly value: { median: number; min: number; max: number } | null;
  readonly note?: string;
}

export interface ChartRow {
  readonly label: string;
  readonly bars: readonly ChartBar[];
}

export interface Chart {
  readonly title: string;
  /** The axis unit, for labels: `ms`, `bytes` or `requests`. */
  readonly unit: 'ms' | 'bytes' | 'requests';
  readonly series: readonly { name: string; color: string }[];
  readonly rows: readonly ChartRow[];
}

const LABEL_WIDTH = 230;
const PLOT_WIDTH = 460;
const VALUE_WIDTH = 150;
const BAR = 12;
const GAP = 3;
const ROW_GAP = 14;
const TOP = 58;

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A value as the axis and the bars show it. */
export function formatValue(value: number, unit: Chart['unit']): string {
  if (unit === 'bytes') {
    if (value >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MiB`;
    if (value >= 1024) return `${(value / 1024).toFixed(0)} KiB`;
    return `${value.toFixed(0)} B`;
  }
  if (unit === 'requests') return value.toFixed(0);
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(1)} ms`;
}

/** A power of ten as the axis shows it: `1 ms`, `100 ms`, `10 s`, `1 MiB`. */
function formatTick(value: number, unit: Chart['unit']): string {
  if (unit === 'ms') return value >= 1000 ? `${value / 1000} s` : `${value} ms`;
  if (unit === 'bytes') {
    if (value >= 1024 * 1024) return `${+(value / 1024 / 1024).toPrecision(2)} MiB`;
    if (value >= 1024) return `${+(value / 1024).toPrecision(2)} KiB`;
    return `${value} B`;
  }
  return String(value);
}

/** The SVG document for `chart`. */
export function renderChart(chart: Chart): string {
  const values = chart.rows.flatMap((row) =>
    row.bars.flatMap((bar) => (bar.value ? [bar.value.min, bar.value.max, bar.value.median] : [])),
  );
  const positive = values.filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(positive.length > 0 ? Math.min(...positive) : 1));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...positive, lo * 10)));
  const x = (v: number) =>
    LABEL_WIDTH + (PLOT_WIDTH * Math.log10(Math.max(v, lo) / lo)) / Math.log10(hi / lo);

  const rowHeight = (row: ChartRow) => row.bars.length * (BAR + GAP) - GAP;
  const height = TOP + chart.rows.reduce((sum, row) => sum + rowHeight(row) + ROW_GAP, 0) + 30;
  const width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="600">${escape(chart.title)}</text>`,
  ];
  // Legend.
  let legendX = 10;
  for (const s of chart.series) {
    out.push(
      `<rect x="${legendX}" y="30" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${legendX + 14}" y="39">${escape(s.name)}</text>`,
    );
    legendX += 24 + s.name.length * 6.5;
  }
  out.push(
    `<text x="${width - 10}" y="39" text-anchor="end" fill="#555">bar: median (p95 where marked), whisker: min–max; log scale</text>`,
  );
  // Grid: one line per power of ten.
  const bottom = height - 24;
  for (let v = lo; v <= hi * 1.0001; v *= 10) {
    const gx = x(v).toFixed(1);
    out.push(
      `<line x1="${gx}" y1="${TOP - 6}" x2="${gx}" y2="${bottom}" stroke="#e3e3e3"/>`,
      `<text x="${gx}" y="${bottom + 14}" text-anchor="middle" fill="#555">${escape(formatTick(v, chart.unit))}</text>`,
    );
  }
  let y = TOP;
  for (const row of chart.rows) {
    const h = rowHeight(row);
    out.push(
      `<text x="${LABEL_WIDTH - 8}" y="${(y + h / 2 + 4).toFixed(1)}" text-anchor="end">${escape(row.label)}</text>`,
    );
    row.bars.forEach((bar, i) => {
      const color = chart.series.find((s) => s.name === bar.series)?.color ?? '#888';
      const by = y + i * (BAR + GAP);
      if (!bar.value) {
        out.push(
          `<text x="${LABEL_WIDTH + 4}" y="${by + BAR - 2}" fill="${color}" font-style="italic">${escape(`${bar.series}: ${bar.note ?? 'no figure'}`)}</text>`,
        );
        return;
      }
      const { median, min, max } = bar.value;
      const end = x(median);
      out.push(
        `<rect x="${LABEL_WIDTH}" y="${by}" width="${Math.max(1, end - LABEL_WIDTH).toFixed(1)}" height="${BAR}" fill="${color}"/>`,
        `<line x1="${x(min).toFixed(1)}" y1="${by + BAR / 2}" x2="${x(max).toFixed(1)}" y2="${by + BAR / 2}" stroke="#222"/>`,
        `<line x1="${x(min).toFixed(1)}" y1="${by + 2}" x2="${x(min).toFixed(1)}" y2="${by + BAR - 2}" stroke="#222"/>`,
        `<line x1="${x(max).toFixed(1)}" y1="${by + 2}" x2="${x(max).toFixed(1)}" y2="${by + BAR - 2}" stroke="#222"/>`,
        `<text x="${(Math.max(end, x(max)) + 5).toFixed(1)}" y="${by + BAR - 2}">${escape(formatValue(median, chart.unit) + (bar.note ? ` · ${bar.note}` : ''))}</text>`,
      );
    });
    y += h + ROW_GAP;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
