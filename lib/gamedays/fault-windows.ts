import { setTimeout as sleep } from 'node:timers/promises';
import { durationMs } from '../duration';
import { describeError } from '../errors';
import { VENDOR_FAULTS, type FaultInjector, type InfraFault } from './faults';
import type { ScenarioInfraFault } from './scenario';

/** One infrastructure fault as it happened: when it began, when its part was back. */
export interface FaultWindow {
  fault: InfraFault;
  /** The scenario's `at` and `for`. */
  at: string;
  for: string | null;
  setAt: string;
  /** When the process was ready again or the vendor answered again; null when it never came back. */
  endedAt: string | null;
  /** From the fault to the part back (the restart included), in ms; null when it never came back. */
  downMs: number | null;
  /** Why it could not be set or ended, if so. */
  error: string | null;
}

/**
 * Carries out a scenario's infrastructure faults on an injector: each begins at its `at`, lasts
 * its `for` (a process: down that long, then started again; default 0s, at once) and is ended
 * and waited for. `mendAll` ends what is still broken when the game day stops early.
 */
export class FaultSchedule {
  readonly windows: FaultWindow[] = [];
  private readonly open = new Map<FaultWindow, ScenarioInfraFault>();
  private stopped = false;

  constructor(
    private readonly injector: FaultInjector | undefined,
    private readonly t0: number,
    private readonly emit: (kind: string, message: string) => void,
  ) {}

  /** Runs one fault to its end; never throws (a failure is the window's `error`, and the scorecard's). */
  async run(f: ScenarioInfraFault): Promise<void> {
    if (!this.injector) return;
    await sleep(Math.max(0, this.t0 + durationMs(f.at) - Date.now()));
    if (this.stopped) return;
    const window: FaultWindow = { fault: f.fault, at: f.at, for: f.for ?? null, setAt: new Date().toISOString(), endedAt: null, downMs: null, error: null };
    this.windows.push(window);
    try {
      await this.injector.begin(f.fault);
    } catch (err) {
      window.error = `could not ${VENDOR_FAULTS.has(f.fault) ? 'take it down' : 'kill it'}: ${describeError(err)}`;
      this.emit('fault.failed', `${f.fault}: ${window.error}`);
      return;
    }
    this.open.set(window, f);
    this.emit('fault.set', `${f.fault}${f.for ? ` for ${f.for}` : ''} (${this.injector.where})`);
    await sleep(durationMs(f.for ?? '0s'));
    if (!this.stopped) await this.end(window);
  }

  /** Ends every fault still in place (the game day's end, a deadline or an abort). */
  async mendAll(): Promise<void> {
    this.stopped = true;
    for (const w of [...this.open.keys()]) await this.end(w);
  }

  private async end(window: FaultWindow): Promise<void> {
    if (!this.open.delete(window)) return;
    try {
      await this.injector!.end(window.fault);
      window.endedAt = new Date().toISOString();
      window.downMs = Date.parse(window.endedAt) - Date.parse(window.setAt);
      this.emit('fault.cleared', `${window.fault} over: ${VENDOR_FAULTS.has(window.fault) ? 'answering again' : 'started again and ready'} ${(window.downMs / 1000).toFixed(1)} s after it began`);
    } catch (err) {
      window.error = `did not come back: ${describeError(err)}`;
      this.emit('fault.failed', `${window.fault} ${window.error}`);
    }
  }
}
