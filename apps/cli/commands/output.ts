/** What the CLI prints: tables, UTC times, JSON, and a spinner on stderr while something takes seconds. */

/** Results go to stdout (what a script reads); spinners and notes to stderr. */
export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  say(JSON.stringify(value, null, 2));
}

/** `2026-11-23 10:04:05Z`, or — for no time. */
export function utc(value: string | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export interface Spinner {
  /** Changes the text shown next to the spinner. */
  update(text: string): void;
  /** Clears the spinner line. */
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A spinner on stderr while something takes seconds, only when stderr is a terminal (never
 * in a pipe, a script's capture or `--json` output).
 */
export function spinner(text: string, enabled = true): Spinner {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  let frame = 0;
  let current = text;
  const draw = () => process.stderr.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${current}`);
  draw();
  const timer = setInterval(draw, 80);
  timer.unref();
  return {
    update: (t) => {
      current = t;
    },
    stop: () => {
      clearInterval(timer);
      process.stderr.write('\r\x1b[2K');
    },
  };
}

/** Runs `work` with a spinner showing `text`. */
export async function withSpinner<T>(text: string, enabled: boolean, work: () => Promise<T>): Promise<T> {
  const s = spinner(text, enabled);
  try {
    return await work();
  } finally {
    s.stop();
  }
}
