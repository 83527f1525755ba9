/**
 * The Chromium benchmark's figures: every sample each client gave for each measured row, the
 * outcomes that are not numbers ("never", "cannot load"), and the tables, charts and the README
 * summary made from them. Nothing here is measured; everything shown comes from `Results`.
 */
import { type Chart, type ChartRow, formatValue, renderChart } from './chart';
import { PEER_LABELS, PEERS, type PeerName } from './peers';
import { median, quantile } from './stats';

export type Unit = 'ms' | 'bytes' | 'requests';

export interface RowSpec {
  readonly id: string;
  readonly label: string;
  readonly unit: Unit;
  /** The figure a cell leads with: the median of the samples, or their p95. */
  readonly summary?: 'median' | 'p95';
  /** Which clients the row applies to (all three by default). */
  readonly peers?: readonly PeerName[];
  /** A count where more is better (jobs that arrived): no "lower is better" ratio. */
  readonly noRatio?: boolean;
}

interface Cell {
  readonly samples: number[];
  /** Outcomes that are not numbers, with how many runs gave each. */
  readonly notes: Map<string, number>;
  /** Notes that explain a figure, shown in the full tables only. */
  readonly details: Set<string>;
}

interface Row extends RowSpec {
  readonly cells: Record<PeerName, Cell>;
}

const newCell = (): Cell => ({ samples: [], notes: new Map(), details: new Set() });

export const PEER_COLORS: Record<PeerName, string> = {
  project: '#1f6feb',
  recipe: '#d97706',
  plan: '#6b7280',
};

export class Results {
  private readonly rows = new Map<string, Row>();

  define(spec: RowSpec): void {
    if (!this.rows.has(spec.id))
      this.rows.set(spec.id, {
        ...spec,
        cells: { project: newCell(), recipe: newCell(), plan: newCell() },
      });
  }

  private cell(id: string, peer: PeerName): Cell {
    const row = this.rows.get(id);
    if (!row) throw new Error(`no row ${id}`);
    return row.cells[peer];
  }

  add(id: string, peer: PeerName, value: number): void {
    if (Number.isFinite(value)) this.cell(id, peer).samples.push(value);
  }

  /** Records an outcome that is not a number; a `detail` only explains the figures beside it. */
  note(id: string, peer: PeerName, note: string, kind: 'outcome' | 'detail' = 'outcome'): void {
    const cell = this.cell(id, peer);
    if (kind === 'detail') cell.details.add(note);
    else cell.notes.set(note, (cell.notes.get(note) ?? 0) + 1);
  }

  has(id: string): boolean {
    return this.rows.has(id);
  }

  row(id: string): Row {
    const row = this.rows.get(id);
    if (!row) throw new Error(`no row ${id}`);
    return row;
  }

  /** The row's leading figure for `peer`, or null when it has no samples. */
  figure(id: string, peer: PeerName): number | null {
    const row = this.row(id);
    const samples = row.cells[peer].samples;
    if (samples.length === 0) return null;
    return row.summary === 'p95' ? quantile(samples, 0.95) : median(samples);
  }
}

export function formatFigure(value: number, unit: Unit): string {
  if (unit === 'ms') {
    if (value >= 1000) return `${(value / 1000).toFixed(value >= 10_000 ? 1 : 2)} s`;
    return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ms`;
  }
  return formatValue(value, unit);
}

/** `lo–hi` with the unit said once where both share it (`134–145 ms`, `1.30–1.45 s`). */
function spreadOf(samples: readonly number[], unit: Unit): string | null {
  const [a, b] = [
    formatFigure(Math.min(...samples), unit),
    formatFigure(Math.max(...samples), unit),
  ];
  if (a === b) return null;
  const unitOf = (text: string) => text.replace(/^[\d.,]+ ?/, '');
  if (unitOf(a) !== '' && unitOf(a) === unitOf(b))
    return `${a.slice(0, a.length - unitOf(a).length).trim()}–${b}`;
  return `${a}–${b}`;
}

/** The cell's notes; in full, with how many runs gave each and the details. */
function notesOf(cell: Cell, full = true): string {
  return [
    ...[...cell.notes].map(([note, n]) => (full && n > 1 ? `${note} (×${n})` : note)),
    ...(full ? cell.details : []),
  ].join('; ');
}

/** A cell: the leading figure, its spread and number of samples, then any notes. */
export function formatCell(row: Row, peer: PeerName, compact = false): string {
  if (row.peers && !row.peers.includes(peer)) return '—';
  const cell = row.cells[peer];
  const notes = notesOf(cell, !compact);
  if (cell.samples.length === 0) return notes || 'not measured';
  const lead =
    row.summary === 'p95'
      ? `p95 ${formatFigure(quantile(cell.samples, 0.95), row.unit)}, median ${formatFigure(median(cell.samples), row.unit)}`
      : formatFigure(median(cell.samples), row.unit);
  const range = spreadOf(cell.samples, row.unit);
  const n = cell.samples.length;
  const spread = compact
    ? range && ` (${range})`
    : n > 1 && ` (${range ? `${range}, ` : 'all equal, '}n=${n})`;
  return `${lead}${spread || ''}${notes ? `; ${notes}` : ''}`;
}

/** veo-sync's figure ÷ the peer's, as `0.52×`; `—` where either has none. */
export function ratio(results: Results, id: string, peer: PeerName): string {
  if (results.row(id).noRatio) return '—';
  const ours = results.figure(id, 'project');
  const theirs = results.figure(id, peer);
  if (ours === null || theirs === null) return '—';
  if (theirs === 0) return ours === 0 ? '1×' : '—';
  const r = ours / theirs;
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(2) : r.toFixed(3)}×`;
}

/** The Markdown table of `ids`: each client's cell and veo-sync's ratio to each peer. */
export function resultsTable(results: Results, ids: readonly string[]): string {
  const header = [
    'measure',
    ...PEERS.map((p) => PEER_LABELS[p]),
    'veo-sync ÷ recipe',
    'veo-sync ÷ plan',
  ];
  const lines = [header, header.map(() => '---')].map((cells) => `| ${cells.join(' | ')} |`);
  for (const id of ids) {
    const row = results.row(id);
    lines.push(
      `| ${[
        row.label,
        ...PEERS.map((p) => formatCell(row, p)),
        ratio(results, id, 'recipe'),
        ratio(results, id, 'plan'),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** A chart of `ids` (one unit), one bar per client. */
export function resultsChart(
  results: Results,
  title: string,
  unit: Chart['unit'],
  ids: readonly string[],
  label: (id: string) => string = (id) => results.row(id).label,
): string {
  const rows: ChartRow[] = ids.map((id) => {
    const row = results.row(id);
    const peers = PEERS.filter((p) => !row.peers || row.peers.includes(p));
    return {
      label: label(id),
      bars: peers.map((peer) => {
        const cell = row.cells[peer];
        const figure = results.figure(id, peer);
        if (figure === null)
          return { series: PEER_LABELS[peer], value: null, note: notesOf(cell) || 'no figure' };
        return {
          series: PEER_LABELS[peer],
          value: { median: figure, min: Math.min(...cell.samples), max: Math.max(...cell.samples) },
          ...(cell.notes.size > 0 ? { note: [...cell.notes.keys()].join('; ') } : {}),
        };
      }),
    };
  });
  return renderChart({
    title,
    unit,
    series: PEERS.map((p) => ({ name: PEER_LABELS[p], color: PEER_COLORS[p] })),
    rows,
  });
}
