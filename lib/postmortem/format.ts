/** How a postmortem shows times, durations and text from payloads. Pure, for the templates' helpers. */

/** A duration as a postmortem reads it: "850ms", "42s", "4m 12s", "1h 0m 5s", "2d 3h 0m 0s"; "—" when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  let s = Math.round(ms / 1_000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) {
    const n = Math.floor(s / size);
    s -= n * size;
    // Once a larger unit is shown, the smaller ones are too (1h 0m 5s), so columns line up.
    if (n > 0 || parts.length > 0) parts.push(`${n}${unit}`);
  }
  parts.push(`${s}s`);
  return parts.join(' ');
}

/** An instant in UTC, ISO 8601 to the second: "2026-11-23T14:02:11Z"; "—" when unknown. */
export function formatUtc(value: Date | string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) return String(value);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Text from alerts and timelines made safe inside Markdown (a paragraph, a list item or a
 * table cell): one line (no newline can start a heading or end a table row), and the
 * characters that make structure, emphasis, links or HTML backslash-escaped.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n\t\v\f\u2028\u2029]+/g, ' ')
    .replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`)
    .trim();
}

/** A copy of `value` with every string (at any depth) escaped for Markdown; numbers, booleans and null as they are. */
export function escapeStringsForMarkdown<T>(value: T): T {
  if (typeof value === 'string') return escapeMarkdown(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => escapeStringsForMarkdown(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeStringsForMarkdown(v)])) as T;
  }
  return value;
}
