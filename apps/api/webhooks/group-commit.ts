/**
 * Group commit: requests that arrive while a flush is running wait for the next one, which
 * stores them all together. Under load a flush carries many deliveries; alone, one.
 */
export class GroupCommit<In, Out> {
  private queue: { input: In; resolve: (out: Out) => void; reject: (err: unknown) => void }[] = [];
  private flushing = false;

  constructor(
    /** Stores a batch; one settled result per input, so one failure need not fail the rest. */
    private readonly flush: (inputs: In[]) => Promise<PromiseSettledResult<Out>[]>,
    private readonly limits: { count: number; bytes: number; sizeOf: (input: In) => number },
  ) {}

  submit(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.flushing) void this.drain();
    });
  }

  /** How many queued inputs fit one flush: at most `count`, and `bytes` unless a single one is larger. */
  private takeable(): number {
    let bytes = 0;
    let n = 0;
    for (const { input } of this.queue) {
      bytes += this.limits.sizeOf(input);
      if (n > 0 && (n >= this.limits.count || bytes > this.limits.bytes)) break;
      n += 1;
    }
    return n;
  }

  private async drain(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.takeable());
        try {
          const outs = await this.flush(batch.map((b) => b.input));
          batch.forEach((b, i) => {
            const out = outs[i];
            if (out.status === 'fulfilled') b.resolve(out.value);
            else b.reject(out.reason);
          });
        } catch (err) {
          batch.forEach((b) => b.reject(err));
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
