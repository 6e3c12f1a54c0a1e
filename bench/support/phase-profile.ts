import { endedChildrenTicks, processCpuTicks } from './cpu-profile';

// Where a phase of the bench spent the machine (issue 22: "the profile that proves what is left is
// the machine's, or Temporal's"): CPU seconds by process, read from /proc at the phase's start and
// end, and, when the engine's Temporal dev server serves its metrics, its frontend's requests by
// operation and its persistence calls, from the same two scrapes. Linux only, like the RSS figures.

/** Clock ticks per second of /proc's utime and stime (USER_HZ; 100 on Linux). */
const TICKS = 100;

/** What one process's name says it is, for the bench's tables. */
function roleOf(name: string): string {
  if (name.endsWith('temporal server')) return 'Temporal server';
  if (/apps\/worker\//.test(name)) return 'worker';
  if (/apps\/api\//.test(name)) return 'API';
  if (/pglite-server/.test(name)) return 'PGlite';
  // The postmaster ("postgres") and its backends ("postgres: user db host(port) idle", "postgres: walwriter").
  if (/^postgres\b/.test(name)) return 'Postgres';
  if (/bench\/processes\/raw-worker/.test(name)) return 'raw worker';
  if (/bench\/processes\/load/.test(name)) return 'load generator';
  if (/bench\/(run|door-replicas)\./.test(name)) return 'bench';
  return 'other';
}

interface TemporalCounters {
  /** Frontend requests by operation: how many, and the seconds the frontend spent answering them. */
  frontend: Map<string, { count: number; seconds: number }>;
  /** Persistence calls (SQLite or Postgres, every service): how many, and their seconds. */
  persistence: { count: number; seconds: number };
}

export interface PhaseMark {
  at: number;
  cpu: ReturnType<typeof processCpuTicks>;
  /** The bench's reaped children (load generators that ran and exited inside the phase). */
  endedChildren: number;
  temporal?: TemporalCounters;
}

export interface PhaseProfile {
  seconds: number;
  /** CPU seconds by role, the busiest first; `busyCores` is their sum over the phase's seconds. */
  cpuSeconds: Record<string, number>;
  busyCores: number;
  /** Per unit of work (a workflow): Temporal frontend requests by operation, the most first; undefined without its metrics. */
  frontendPerUnit?: Record<string, number>;
  /** Per unit of work: Temporal's persistence calls and their milliseconds. */
  persistencePerUnit?: { calls: number; ms: number };
}

async function scrapeTemporal(metricsUrl: string): Promise<TemporalCounters | undefined> {
  const text = await fetch(metricsUrl).then((r) => (r.ok ? r.text() : undefined), () => undefined);
  if (text === undefined) return undefined;
  const frontend = new Map<string, { count: number; seconds: number }>();
  const persistence = { count: 0, seconds: 0 };
  for (const line of text.split('\n')) {
    const m = /^(service_latency|persistence_latency)_(count|sum)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const [, metric, kind, labels, raw] = m;
    const value = Number(raw);
    if (metric === 'persistence_latency') {
      if (kind === 'count') persistence.count += value;
      else persistence.seconds += value;
      continue;
    }
    if (!labels.includes('service_name="frontend"')) continue;
    const operation = /operation="([^"]+)"/.exec(labels)?.[1] ?? '?';
    const entry = frontend.get(operation) ?? { count: 0, seconds: 0 };
    if (kind === 'count') entry.count += value;
    else entry.seconds += value;
    frontend.set(operation, entry);
  }
  return { frontend, persistence };
}

/** A reading of the machine to measure a phase from (`temporalMetricsUrl`: the dev server's /metrics, if it serves one). */
export async function markPhase(temporalMetricsUrl: string | undefined): Promise<PhaseMark> {
  const temporal = temporalMetricsUrl ? await scrapeTemporal(temporalMetricsUrl) : undefined;
  return { at: performance.now(), cpu: processCpuTicks(), endedChildren: endedChildrenTicks(), temporal };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** What happened between two marks; `units` (workflows run in the phase) scales Temporal's counts. */
export function profileBetween(start: PhaseMark, end: PhaseMark, units: number): PhaseProfile {
  const seconds = (end.at - start.at) / 1000;
  const byRole = new Map<string, number>();
  for (const [pid, after] of end.cpu) {
    const ticks = after.ticks - (start.cpu.get(pid)?.ticks ?? 0);
    if (ticks > 0) byRole.set(roleOf(after.name), (byRole.get(roleOf(after.name)) ?? 0) + ticks);
  }
  const ended = end.endedChildren - start.endedChildren;
  if (ended > 0) byRole.set('load generator', (byRole.get('load generator') ?? 0) + ended);
  const cpuSeconds = Object.fromEntries([...byRole].sort((a, b) => b[1] - a[1]).map(([role, ticks]) => [role, round1(ticks / TICKS)]));
  const busy = [...byRole.values()].reduce((a, b) => a + b, 0) / TICKS;
  const profile: PhaseProfile = { seconds: round1(seconds), cpuSeconds, busyCores: Math.round((busy / seconds) * 100) / 100 };
  if (start.temporal && end.temporal) {
    const perUnit: [string, number][] = [];
    for (const [operation, after] of end.temporal.frontend) {
      const count = after.count - (start.temporal.frontend.get(operation)?.count ?? 0);
      if (count > 0) perUnit.push([operation, Math.round((count / units) * 100) / 100]);
    }
    profile.frontendPerUnit = Object.fromEntries(perUnit.sort((a, b) => b[1] - a[1]));
    profile.persistencePerUnit = {
      calls: round1((end.temporal.persistence.count - start.temporal.persistence.count) / units),
      ms: round1(((end.temporal.persistence.seconds - start.temporal.persistence.seconds) * 1000) / units),
    };
  }
  return profile;
}

/** One line for the log: the phase's CPU by role and, when known, Temporal's requests per unit. */
export function describeProfile(label: string, p: PhaseProfile, unit: string): string[] {
  const cpu = Object.entries(p.cpuSeconds)
    .filter(([, s]) => s >= 0.5)
    .map(([role, s]) => `${role} ${s} s`)
    .join(', ');
  const lines = [`${label}: ${p.seconds} s, ${p.busyCores} cores busy (CPU: ${cpu}).`];
  if (p.frontendPerUnit) {
    const ops = Object.entries(p.frontendPerUnit)
      .filter(([, n]) => n >= 0.05)
      .map(([op, n]) => `${op} ${n}`)
      .join(', ');
    lines.push(`  Temporal per ${unit}: ${ops}; persistence ${p.persistencePerUnit?.calls} calls, ${p.persistencePerUnit?.ms} ms.`);
  }
  return lines;
}
