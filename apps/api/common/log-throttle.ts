/**
 * Whether a repeated warning about one thing (an incident) is worth logging again: the first time,
 * whenever its reason changes, and otherwise at most once every `everyMs`. Remembers at most `cap`
 * keys; past that the one logged longest ago is forgotten (and would be logged again).
 */
export class LogThrottle {
  private readonly last = new Map<string, { reason: string; at: number }>();

  constructor(
    private readonly everyMs = 60_000,
    private readonly cap = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `reason` about `key` should be logged now (and records it as logged). */
  shouldLog(key: string, reason: string): boolean {
    const at = this.now();
    const seen = this.last.get(key);
    if (seen && seen.reason === reason && at - seen.at < this.everyMs) return false;
    // Re-inserted, so the Map's order stays "logged longest ago first".
    this.last.delete(key);
    this.last.set(key, { reason, at });
    if (this.last.size > this.cap) this.last.delete(this.last.keys().next().value!);
    return true;
  }

  /** The thing is well again: its next warning is logged at once. */
  forget(key: string): void {
    this.last.delete(key);
  }

  get size(): number {
    return this.last.size;
  }
}
