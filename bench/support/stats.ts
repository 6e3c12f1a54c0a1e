/** Rounded to 0.1 (ms, MiB, s). */
export const round = (n: number) => Math.round(n * 10) / 10;

/** Nearest-rank percentile, rounded to 0.1. NaN for no values. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]);
}

/** count, p50, p99 and max of ms figures. */
export function spread(values: number[]): { count: number; p50: number; p99: number; max: number } {
  return { count: values.length, p50: percentile(values, 0.5), p99: percentile(values, 0.99), max: percentile(values, 1) };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `get` until it returns something, or throws after `timeoutMs` naming what was awaited. */
export async function until<T>(what: string | (() => string), get: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await get();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(everyMs);
  }
}
