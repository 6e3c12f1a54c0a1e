/**
 * A read that many callers share: its answer is kept for `ttlMs`, and while it is being
 * refreshed every caller waits on that one refresh. For the public endpoints (`/readyz`,
 * `/metrics`), so that a flood of requests costs Postgres and Temporal one read per `ttlMs`.
 * A failed read is not kept: the next caller tries again.
 */
export class SharedRead<T> {
  private value: { at: number; value: T } | undefined;
  private inFlight: Promise<T> | undefined;
  /** How many reads reached the source (for tests and figures). */
  refreshes = 0;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly ttlMs: number,
  ) {}

  get(): Promise<T> {
    if (this.value && Date.now() - this.value.at < this.ttlMs) return Promise.resolve(this.value.value);
    if (this.inFlight) return this.inFlight;
    this.refreshes++;
    const refresh = this.read().then(
      (value) => {
        this.value = { at: Date.now(), value };
        return value;
      },
    );
    this.inFlight = refresh;
    const done = () => {
      if (this.inFlight === refresh) this.inFlight = undefined;
    };
    refresh.then(done, done);
    return refresh;
  }
}
