import { setTimeout as sleep } from 'node:timers/promises';
import { durationMs } from '../duration';
import { describeError } from '../errors';
import type { SourceName } from '../intake/alert';
import type { Postmortem } from '../postmortem/model';
import { headersFor, planAlerts, type PlannedAlert } from './alerts';
import { judgeFaults, type AlertAnswer } from './fault-checks';
import { FaultSchedule } from './fault-windows';
import { assertFaultsSupported, infraFaults, VENDOR_FAULTS, type FaultInjector, type VendorLedger } from './faults';
import type { Scenario, ScenarioApproval, ScenarioFault } from './scenario';
import { scenarioHosts } from './scenario';
import { noticesDelivered, slackEvidence } from './vendor-evidence';
import { evaluateSlos, scoreIncident, type Scorecard } from './scorecard';

/** The API as a game day calls it (the CLI's ApiClient fits): JSON with a token, webhooks signed. */
export interface GamedayApi {
  get<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  delete<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T>;
  postSigned<T>(path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: T }>;
}

export interface GamedayEvent {
  /** Ms since the game day started. */
  atMs: number;
  kind: string;
  message: string;
}

export interface RunGamedayOptions {
  /** Called as an admin: fleet setup, faults, tokens, runs of the engine's views. */
  api: GamedayApi;
  /** The same API called with another token (approvers, the responder who starts runs). */
  as: (token: string) => GamedayApi;
  /** The secret a source's webhooks are signed with. */
  secretFor: (source: SourceName) => string;
  onEvent?: (e: GamedayEvent) => void;
  /** How often incidents and gates are looked at. */
  pollMs?: number;
  /** Aborted: stop watching at once and score what there is (as at the deadline). */
  signal?: AbortSignal;
  /** Carries out the scenario's infrastructure faults; without one, a scenario that has any is refused up front. */
  faults?: FaultInjector;
  /** What the vendors received, for the "delivered once" lines (the harness reads its fakes). */
  ledger?: VendorLedger;
}

const CLOSED = new Set(['resolved', 'cancelled']);
/** Webhooks in flight at once during a storm. */
const SEND_CONCURRENCY = 16;
/** How long a delivery nobody answered waits before it is sent again. */
const RESEND_MS = 1_000;

interface IntakeAnswer {
  incidentId?: string | null;
  disposition?: 'started' | 'merged' | 'suppressed' | 'duplicate';
  alerts?: { incidentId: string | null; disposition: 'started' | 'merged' | 'suppressed' | 'duplicate' }[];
}
interface GateView {
  id: string;
  status: string;
  requestedAt: string;
}

/**
 * Runs a game day against a running engine through its real doors: the fleet and faults set
 * through /fleet, alerts posted signed to /webhooks/<source>, playbooks started and gates
 * decided through the API with tokens made for the occasion; then each incident's postmortem
 * is read and the scenario's SLOs judged on it.
 */
export async function runGameday(scenario: Scenario, opts: RunGamedayOptions): Promise<Scorecard> {
  assertFaultsSupported(scenario, opts.faults);
  const t0 = Date.now();
  const startedAt = new Date(t0).toISOString();
  const emit = (kind: string, message: string) => opts.onEvent?.({ atMs: Date.now() - t0, kind, message });
  const { api } = opts;
  const hosts = scenarioHosts(scenario);
  const counts: Scorecard['alerts'] = { sent: 0, started: 0, merged: 0, duplicate: 0, suppressed: 0, rejected: 0 };
  const incidents = new Map<string, string>(); // id → last status seen
  const faultLog: Scorecard['faults'] = [];
  const answers: AlertAnswer[] = [];
  const track = (id: string | null | undefined, how: string) => {
    if (!id || incidents.has(id)) return;
    incidents.set(id, 'open');
    emit('incident.opened', `incident ${id} opened (${how})`);
  };

  // ── setup ───────────────────────────────────────────────────────────────────────────
  // Refused (fleet_not_simulated) by an engine on real vendors, before anything is sent: even a
  // scenario with no fleet of its own approves gates, which would act on real hosts and keys.
  await api.get('/fleet/setup');
  if (hosts.length) await api.post('/fleet/hosts', { hosts });
  for (const c of scenario.fleet.credentials) await api.post('/fleet/credentials', c);
  for (const a of scenario.fleet.accounts) await api.post('/fleet/accounts', a);
  for (const r of scenario.fleet.resources) await api.post('/fleet/resources', r);
  const { credentials, accounts, resources } = scenario.fleet;
  emit('fleet.ready', `fleet: ${hosts.length} hosts, ${credentials.length} credentials, ${accounts.length} accounts, ${resources.length} resources`);
  const tokens = new Map<string, { id: string; token: string }>();
  // The game-day exception (README "Tokens and roles"): tokens made for the scenario's people count
  // as those people without a claim, which the API allows only on the simulated fleet (audited).
  const lifetime = `${Math.ceil(Math.min(durationMs(scenario.deadline) + 3_600_000, 86_400_000) / 1000)}s`;
  const tokenOf = async (name: string, role: 'approver' | 'responder') => {
    const key = `${name}/${role}`;
    if (!tokens.has(key)) {
      const made = await api.post<{ id: string; token: string }>('/tokens', { name, role, purpose: 'gameday', expiresIn: lifetime });
      tokens.set(key, { id: made.id, token: made.token });
    }
    return tokens.get(key)!.token;
  };

  // ── the scenario's timeline ─────────────────────────────────────────────────────────
  const at = (ms: number) => sleep(Math.max(0, t0 + ms - Date.now()));
  const deadline = t0 + durationMs(scenario.deadline);
  const active = new Map<ScenarioFault, Scorecard['faults'][number]>();
  let stopped = false;
  const setFault = async (f: ScenarioFault) => {
    await at(durationMs(f.at));
    if (stopped) return;
    const { at: _a, for: _f, kind: _k, ...spec } = f;
    await api.post('/fleet/faults', spec);
    const logged = { capability: f.capability, action: f.action ?? '*', target: f.target ?? '*', setAt: new Date().toISOString(), clearedAt: null as string | null };
    faultLog.push(logged);
    active.set(f, logged);
    emit('fault.set', `fault set: ${describeFault(f)}`);
    if (f.for) {
      await at(durationMs(f.at) + durationMs(f.for));
      if (!stopped) await clearFault(f);
    }
  };
  const clearFault = async (f: ScenarioFault) => {
    const logged = active.get(f);
    if (!logged) return;
    active.delete(f);
    await api.delete('/fleet/faults', { capability: f.capability, action: logged.action, target: logged.target });
    logged.clearedAt = new Date().toISOString();
    emit('fault.cleared', `fault cleared: ${describeFault(f)}`);
  };
  const sendAll = async (planned: PlannedAlert[]) => {
    const inFlight = new Set<Promise<void>>();
    const loud = planned.length <= 10;
    for (const [n, alert] of planned.entries()) {
      await at(alert.atMs);
      if (stopped) break; // the game day ended (deadline, abort): send nothing more
      while (inFlight.size >= SEND_CONCURRENCY) await Promise.race(inFlight);
      const p = deliver(alert, loud).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (!loud && (n + 1) % Math.ceil(planned.length / 10) === 0) {
        emit('alerts.progress', `alerts: ${n + 1}/${planned.length} sent (${counts.started} started, ${counts.merged} merged, ${counts.duplicate} duplicate)`);
      }
    }
    await Promise.all(inFlight);
  };
  const deliver = async (alert: PlannedAlert, loud: boolean) => {
    counts.sent++;
    const answer: AlertAnswer = { sentAt: Date.now(), incidentId: null, disposition: null, attempts: 0, duplicate: alert.duplicate };
    answers.push(answer);
    for (;;) {
      answer.attempts++;
      try {
        const { body } = await api.postSigned<IntakeAnswer>(`/webhooks/${alert.source}`, alert.body, headersFor(alert, opts.secretFor(alert.source)));
        for (const a of body.alerts ?? [{ incidentId: body.incidentId ?? null, disposition: body.disposition ?? 'started' }]) {
          counts[a.disposition]++;
          Object.assign(answer, { incidentId: a.incidentId, disposition: a.disposition });
          track(a.incidentId, `alert from ${alert.source}`);
          if (loud) emit('alert.sent', `alert sent (${alert.source}${alert.duplicate ? ', again' : ''}): ${a.disposition}${a.incidentId ? ` → incident ${a.incidentId}` : ''}`);
        }
        return;
      } catch (err) {
        // As a SIEM does: no answer, or the door down (5xx, 429), and the same delivery is sent again while the game day lasts.
        if (unanswered(err) && !stopped && Date.now() < deadline) {
          if (answer.attempts === 1) emit('alert.retrying', `alert not answered (${alert.source}), sending it again: ${describeError(err)}`);
          await sleep(RESEND_MS);
          continue;
        }
        counts.rejected++;
        emit('alert.rejected', `alert rejected (${alert.source}): ${describeError(err)}`);
        return;
      }
    }
  };
  const startRun = async (run: Scenario['runs'][number]) => {
    await at(durationMs(run.at));
    if (stopped) return;
    const responder = opts.as(await tokenOf(run.as, 'responder'));
    const { incidentId } = await responder.post<{ incidentId: string }>(`/playbooks/${run.playbook}/runs`, { params: run.params, severity: run.severity, title: run.title });
    track(incidentId, `${run.playbook} started by hand`);
  };

  // Faults run beside the alerts and runs: the game day is over when those are done and every
  // incident closed, whatever faults were still due (they are cleared then).
  let timelineDone = false;
  let timelineError: Error | undefined;
  const failed = (err: unknown) => {
    timelineError ??= err instanceof Error ? err : new Error(String(err));
  };
  const schedule = new FaultSchedule(opts.faults, t0, emit);
  Promise.all(scenario.faults.filter((f): f is ScenarioFault => f.kind === 'fleet').map(setFault)).catch(failed);
  // The engine's own faults are part of the timeline: the game day ends once each is over (its part back).
  Promise.all([...scenario.alerts.map((a) => sendAll(planAlerts(a, hosts))), ...scenario.runs.map(startRun), ...infraFaults(scenario).map((f) => schedule.run(f))]).then(() => (timelineDone = true), failed);

  // ── watch incidents and answer gates until everything closed or the deadline ───────
  const voted = new Set<string>();
  const refused = new Set<string>();
  const pollMs = opts.pollMs ?? 1000;
  for (;;) {
    for (const [id, last] of incidents) {
      if (CLOSED.has(last)) continue;
      // A read that fails (the engine busy or restarting) is tried again at the next look.
      const status = await api.get<{ status: string }>(`/incidents/${id}`).then(
        (r) => r.status,
        () => last,
      );
      if (status !== last) {
        incidents.set(id, status);
        emit(`incident.${status}`, `incident ${id} ${status}`);
      }
      if (CLOSED.has(status)) continue;
      // The playbook may end between the two reads: its gates are then gone, and the next look sees it closed.
      const gates = await api.get<{ gates: GateView[] }>(`/incidents/${id}/approvals`).then(
        (r) => r.gates,
        (err: unknown) => {
          if (!refused.has(id)) emit('approvals.unreadable', `the approvals of incident ${id} could not be read (will retry): ${describeError(err)}`);
          refused.add(id);
          return [] as GateView[];
        },
      );
      for (const gate of gates.filter((g) => g.status === 'open')) {
        const rule = scenario.approvals.find((a) => gateMatches(a, gate.id));
        if (!rule || rule.by === 'nobody' || Date.now() - Date.parse(gate.requestedAt) < durationMs(rule.after)) continue;
        for (const who of rule.by) {
          const key = `${id}/${gate.id}/${who}`;
          if (voted.has(key)) continue;
          voted.add(key);
          try {
            await opts.as(await tokenOf(who, 'approver')).post(`/incidents/${id}/approvals/${gate.id}`, { decision: rule.decision, reason: rule.reason });
            emit('approval.given', `${who} ${rule.decision === 'approve' ? 'approved' : 'denied'} ${gate.id} on incident ${id}`);
          } catch (err) {
            // Tried again at the next look while the gate is open (a busy playbook may not answer in time).
            voted.delete(key);
            if (!refused.has(key)) emit('approval.refused', `${who}'s ${rule.decision} of ${gate.id} on incident ${id} did not count (will retry): ${describeError(err)}`);
            refused.add(key);
          }
        }
      }
    }
    const allClosed = [...incidents.values()].every((s) => CLOSED.has(s));
    if (timelineError) break;
    if (timelineDone && allClosed) break;
    if (opts.signal?.aborted) break;
    if (Date.now() > deadline) {
      emit('deadline', `deadline (${scenario.deadline}) reached: ${[...incidents.values()].filter((s) => !CLOSED.has(s)).length} incident(s) still open`);
      break;
    }
    await sleep(pollMs);
  }

  // ── clean up, then score ─────────────────────────────────────────────────────────────
  stopped = true;
  await schedule.mendAll();
  for (const f of [...active.keys()]) await clearFault(f).catch(() => undefined);
  for (const { id } of tokens.values()) await api.delete(`/tokens/${id}`, { reason: `game day ${scenario.name} finished` }).catch(() => undefined);
  if (timelineError) throw timelineError;
  // After a vendor outage the paging outbox delivers what it owes with backoff: late is not lost,
  // so its notices get until the deadline before they are judged.
  if (schedule.windows.some((w) => VENDOR_FAULTS.has(w.fault))) await noticesDelivered(api, [...incidents.keys()], deadline, pollMs, emit);

  const envOf = new Map(hosts.map((h) => [`host:${h.id}`, h.environment]));
  const scored = [];
  for (const id of incidents.keys()) {
    const pm = await api.get<Postmortem>(`/incidents/${id}/postmortem`, { format: 'json' });
    scored.push(scoreIncident(pm, envOf.get(pm.incident.entity ?? '') ?? null));
  }
  const slos = evaluateSlos(scenario.slos, scored);
  const windows = schedule.windows;
  const slack = windows.some((w) => w.fault === 'slack-down') ? await slackEvidence(api, [...incidents.keys()], opts.ledger) : null;
  const checks = judgeFaults({ windows, incidents: scored, answers, slack, finishedAt: Date.now() });
  return {
    gameday: scenario.name,
    description: scenario.description,
    startedAt,
    finishedAt: new Date().toISOString(),
    allClosed: [...incidents.values()].every((s) => CLOSED.has(s)),
    alerts: counts,
    faults: faultLog,
    infrastructure: windows,
    incidents: scored,
    slos,
    checks,
    passed: slos.every((s) => s.passed) && checks.every((c) => c.passed),
  };
}

/** No answer from the door, or the door down for now: worth sending again. An error with no HTTP status never reached it. */
function unanswered(err: unknown): boolean {
  const { status, code } = err as { status?: unknown; code?: unknown };
  return typeof status === 'number' ? status >= 500 || status === 429 : code === 'api_unreachable';
}

function gateMatches(rule: ScenarioApproval, gateId: string): boolean {
  return rule.gate.endsWith('*') ? gateId.startsWith(rule.gate.slice(0, -1)) : gateId === rule.gate;
}

function describeFault(f: ScenarioFault): string {
  const what = Object.entries(f)
    .filter(([k]) => !['at', 'for', 'capability', 'action', 'target'].includes(k))
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return `${f.capability}.${f.action ?? '*'} on ${f.target ?? '*'}: ${what}${f.for ? ` for ${f.for}` : ''}`;
}
