/** Durations as operators write them in runbooks: "500ms", "30s", "15m", "24h", "7d". */
export const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function durationMs(duration: string): number {
  const match = DURATION_PATTERN.exec(duration);
  if (!match) throw new Error(`'${duration}' is not a duration such as 30s, 15m or 24h`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** A duration for people: "850 ms", "42 s", "3 min 5 s", "5 h 12 min", "3 days 4 h". */
export function humanDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.round(ms / 1_000);
  if (s < 60) return `${s} s`;
  if (s < 3_600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  const h = Math.floor(s / 3_600);
  return h < 48 ? `${h} h ${Math.floor((s % 3_600) / 60)} min` : `${Math.floor(h / 24)} days ${h % 24} h`;
}
