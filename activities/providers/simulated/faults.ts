import { setTimeout as sleep } from 'node:timers/promises';
import type { Capability } from '../../../lib/providers/capabilities';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { providerError } from '../errors';
import type { Sql } from './rows';
import { currentActivity } from '../activity-context';

/** What a game day injects for a capability, or for one of its actions. */
export interface FaultSpec {
  /** One action (e.g. "isolate"), or every action of the capability when omitted. */
  action?: string;
  /** One target as the caller names it (host id or hostname, credential or resource id), or all when omitted. */
  target?: string;
  /** Share of calls that fail Unavailable, 0..1. */
  errorRate?: number;
  /** Added to every call before anything else. */
  latencyMs?: number;
  /** Calls hang far longer than any step timeout, until the activity is cancelled. */
  timeout?: boolean;
  /** Calls fail AgentOffline. */
  offline?: boolean;
  /** Calls fail Throttled with details [{ retryAfterMs: 1000 }]. */
  throttle?: boolean;
  /** The next N calls fail Unavailable, then calls succeed again. */
  failNext?: number;
}

interface FaultRow {
  action: string;
  target: string;
  error_rate: number;
  latency_ms: number;
  timeout: boolean;
  offline: boolean;
  throttle: boolean;
  fail_next: number;
}

export async function upsertFault(q: Sql, capability: Capability, f: FaultSpec): Promise<void> {
  await q.query(
    `INSERT INTO sim_faults (capability, action, target, error_rate, latency_ms, timeout, offline, throttle, fail_next) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (capability, action, target) DO UPDATE SET error_rate = EXCLUDED.error_rate, latency_ms = EXCLUDED.latency_ms, timeout = EXCLUDED.timeout,
       offline = EXCLUDED.offline, throttle = EXCLUDED.throttle, fail_next = EXCLUDED.fail_next`,
    [capability, f.action ?? '*', f.target ?? '*', f.errorRate ?? 0, f.latencyMs ?? 0, f.timeout ?? false, f.offline ?? false, f.throttle ?? false, f.failNext ?? 0],
  );
}

export interface FaultTarget {
  capability: Capability;
  action: string;
  target: string;
  /** Records `fault:<Type>` in sim_calls. */
  log: (outcome: string) => Promise<void>;
  /** How long a `timeout` fault hangs when nothing cancels it. */
  hangMs: number;
}

/**
 * Applies the faults that match the call, most specific first — (action, target), (action, *),
 * (*, target), (*, *) — and throws the first that fires.
 */
export async function injectFaults(q: Sql, t: FaultTarget): Promise<void> {
  const faults = await q.query<FaultRow[]>(
    `SELECT * FROM sim_faults WHERE capability = $1 AND action IN ($2, '*') AND target IN ($3, '*') ORDER BY action = '*', target = '*'`,
    [t.capability, t.action, t.target],
  );
  const what = `${t.capability}.${t.action} on '${t.target}'`;
  const fail = async (type: ProviderErrorType, message: string, details?: unknown[]) => {
    await t.log(`fault:${type}`);
    return providerError(type, `${message} (simulated fault)`, details);
  };
  for (const f of faults) {
    if (f.latency_ms > 0) await pause(f.latency_ms);
    if (f.offline) throw await fail(ProviderErrorType.AgentOffline, `The agent did not answer ${what}`);
    if (f.throttle) throw await fail(ProviderErrorType.Throttled, `The vendor throttled ${what}`, [{ retryAfterMs: 1000 }]);
    if (f.fail_next > 0 && (await takeFailure(q, t.capability, f))) throw await fail(ProviderErrorType.Unavailable, `The vendor failed ${what}`);
    if (f.timeout) {
      await t.log('fault:Timeout');
      await pause(t.hangMs);
      throw providerError(ProviderErrorType.Unavailable, `The vendor did not answer ${what} within ${t.hangMs} ms (simulated fault)`);
    }
    if (f.error_rate > 0 && Math.random() < f.error_rate) throw await fail(ProviderErrorType.Unavailable, `The vendor failed ${what}`);
  }
}

/** Counts fail_next down atomically, so concurrent callers never take the same failure twice. */
async function takeFailure(q: Sql, capability: Capability, f: FaultRow): Promise<boolean> {
  const rows = await q.query<unknown[]>(
    `WITH taken AS (UPDATE sim_faults SET fail_next = fail_next - 1 WHERE capability = $1 AND action = $2 AND target = $3 AND fail_next > 0 RETURNING fail_next)
     SELECT fail_next FROM taken`,
    [capability, f.action, f.target],
  );
  return rows.length > 0;
}

/** Waits; inside an activity, wakes early (CancelledFailure) when the activity is cancelled or times out. */
function pause(ms: number): Promise<unknown> {
  // Outside an activity (the API, a test) nothing can cancel the wait.
  const context = currentActivity();
  return context ? context.sleep(ms) : sleep(ms);
}
