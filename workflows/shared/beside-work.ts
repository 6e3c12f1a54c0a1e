import { CancellationScope, condition, log } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';

/**
 * Work running beside a playbook that must not hold it up (the Slack courier keeping a gate's
 * messages current): not cancelled with the playbook, counted so the run knows whether a
 * hand-over (continue-as-new) would cut something half done, and waited for (a little) when the
 * incident closes.
 */
export class BesideWork {
  private running = 0;
  /** Beside work only waiting for something to change (see idle): it does not hold back a hand-over. */
  private waiting = 0;

  run(what: string, work: () => Promise<void>): void {
    this.running += 1;
    void CancellationScope.nonCancellable(work)
      .catch((err: unknown) => log.warn(`${what} stopped`, { error: err instanceof Error ? err.message : String(err) }))
      .finally(() => (this.running -= 1));
  }

  /**
   * Beside work waiting with nothing half done (the Slack courier between two updates): the
   * run may continue as new meanwhile, and the next run starts that work again from what the
   * gate carries (its posted message). Without this, a gate followed in Slack never hands over.
   */
  async idle<T>(wait: () => Promise<T>): Promise<T> {
    this.waiting += 1;
    try {
      return await wait();
    } finally {
      this.waiting -= 1;
    }
  }

  /** Some beside work is in the middle of something: not a moment to hand over. */
  get busy(): boolean {
    return this.running > this.waiting;
  }

  /** Lets running beside work finish, for at most `timeout`, as the incident closes. */
  async settle(timeout: Duration): Promise<void> {
    if (this.running > 0) await condition(() => this.running === 0, timeout);
  }
}
