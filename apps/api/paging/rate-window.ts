/**
 * At most `limit` events per key in any `windowMs` (a sliding log): `take` answers 0 and
 * counts the event, or how long to wait. Per process: replicas each keep their own.
 */
export class RateWindow {
  private readonly sent = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): number {
    const t = this.now();
    const log = (this.sent.get(key) ?? []).filter((at) => at > t - this.windowMs);
    if (log.length >= this.limit) {
      this.sent.set(key, log);
      return log[0] + this.windowMs - t;
    }
    log.push(t);
    this.sent.set(key, log);
    return 0;
  }
}
