import type { Figure } from '../figures/figure';

export interface TableRow extends Figure {
  section: string;
}

const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : `${n.toLocaleString('en')} ms`);

function cells(r: TableRow): string[] {
  const latency = r.p50 !== undefined || r.p99 !== undefined;
  const second = latency ? ms(r.p99) : r.value === undefined || Number.isNaN(r.value) ? '–' : `${r.value.toLocaleString('en')}${r.unit ?? ''}`;
  return [r.section, r.figure, latency ? ms(r.p50) : '', second, r.goal, r.met === undefined ? '' : r.met ? 'yes' : 'NO'];
}

/** The figures as one plain-text table: section, figure, p50, p99 / value, goal, met?. */
export function formatTable(rows: TableRow[]): string {
  const head = ['section', 'figure', 'p50', 'p99 / value', 'goal', 'met?'];
  const body = rows.map(cells);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const right = new Set([2, 3]);
  const line = (r: string[]) => r.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}
