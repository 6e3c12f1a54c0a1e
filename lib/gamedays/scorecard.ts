import { durationMs } from '../duration';
import { between } from '../postmortem/events';
import { formatDuration } from '../postmortem/format';
import type { Postmortem } from '../postmortem/model';
import type { FaultCheck } from './fault-checks';
import type { FaultWindow } from './fault-windows';
import type { ScenarioSlos, SloFilter } from './scenario';

/** One incident of a game day, as its postmortem (lib/postmortem) measured it. */
export interface ScoredIncident {
  id: string;
  title: string;
  playbook: string;
  entity: string | null;
  /** The environment of the scenario host the incident is about, if it is about one. */
  environment: string | null;
  status: string;
  alertCount: number;
  times: Postmortem['times'];
  toDetectMs: number | null;
  toContainMs: number | null;
  toResolveMs: number | null;
  steps: number;
  retries: number;
  failedSteps: { name: string; error: string | null }[];
  approvals: { gateId: string; outcome: string; requestedAt: string; decidedAt: string | null; waitedMs: number | null; decidedBy: string[] }[];
  waitingForApprovalMs: number;
  /** Its pages, tickets and Slack incident post (the paging outbox): sentAt is when the vendor accepted it, null while not yet. */
  notices: { kind: string; vendor: string; target: string; status: string; sentAt: string | null }[];
  /** secret-leak: from the first alert to the credential's revocation (null: not revoked). */
  credentialRevokedAfterMs: number | null;
  /** patch-canary: waves patched after the rollout breached its SLO (0 when it never breached); null for other playbooks. */
  wavesPatchedAfterBreach: number | null;
  /** Its postmortem in the API: the review responders complete, and the generated one. */
  postmortem: { review: string; generated: string };
}

export interface SloResult {
  slo: string;
  target: string;
  passed: boolean;
  /** One line per incident judged: its number (ms, or a count) and the same for people. */
  details: { incidentId: string; measured: number | null; value: string; passed: boolean }[];
}

export interface Scorecard {
  gameday: string;
  description: string;
  startedAt: string;
  finishedAt: string;
  /** False when the deadline passed with incidents still open. */
  allClosed: boolean;
  alerts: { sent: number; started: number; merged: number; duplicate: number; suppressed: number; rejected: number };
  faults: { capability: string; action: string; target: string; setAt: string; clearedAt: string | null }[];
  /** The engine's infrastructure faults (worker killed, Slack down...), as they happened. */
  infrastructure: FaultWindow[];
  incidents: ScoredIncident[];
  slos: SloResult[];
  /** What the engine and the responders did about each infrastructure fault. */
  checks: FaultCheck[];
  /** Every SLO and every fault check passed. */
  passed: boolean;
}

const REVOKE_STEP = /revoke/i;
/** The patch-canary timeline's own words (workflows/patch-canary/workflow.ts): the breach note, and each wave's patch step. */
const BREACH_NOTE = /^SLO breached: /;
const PATCH_WAVE_STEP = /^Patch wave \d+$/;

function wavesPatchedAfterBreach(pm: Postmortem): number | null {
  if (pm.incident.playbook !== 'patch-canary') return null;
  const breach = pm.timeline.find((e) => e.type === 'note' && BREACH_NOTE.test(e.summary));
  if (!breach) return 0;
  return pm.timeline.filter((e) => e.sequence > breach.sequence && e.type === 'step.started' && PATCH_WAVE_STEP.test(e.summary)).length;
}

/** Where an incident's postmortem is reviewed (GET /postmortems/:id) and generated (GET /incidents/:id/postmortem). */
export function postmortemLinks(incidentId: string): ScoredIncident['postmortem'] {
  return { review: `/postmortems/${incidentId}`, generated: `/incidents/${incidentId}/postmortem` };
}

/** The scorecard's view of one incident: only numbers its postmortem already computed. */
export function scoreIncident(pm: Postmortem, environment: string | null): ScoredIncident {
  const revoke = pm.automation.steps.find((s) => REVOKE_STEP.test(s.name) && s.outcome === 'succeeded' && !s.compensation);
  return {
    id: pm.incident.id,
    title: pm.incident.title,
    playbook: pm.incident.playbook,
    entity: pm.incident.entity,
    environment,
    status: pm.incident.status,
    alertCount: pm.impact.alertCount,
    times: pm.times,
    toDetectMs: pm.durations.toDetectMs,
    toContainMs: pm.durations.toContainMs,
    toResolveMs: pm.durations.toResolveMs,
    steps: pm.automation.counts.steps,
    retries: pm.automation.counts.retries,
    failedSteps: pm.automation.failedSteps.map((s) => ({ name: s.name, error: s.error })),
    approvals: pm.approvals.map((a) => ({ gateId: a.gateId, outcome: a.outcome, requestedAt: a.requestedAt, decidedAt: a.decidedAt, waitedMs: a.waitedMs, decidedBy: a.decidedBy })),
    waitingForApprovalMs: pm.durations.waitingForApprovalMs,
    notices: (pm.notices ?? []).map((n) => ({ kind: n.kind, vendor: n.vendor, target: n.target, status: n.status, sentAt: n.sentAt })),
    credentialRevokedAfterMs: revoke ? between(pm.times.startedAt, revoke.endedAt) : null,
    wavesPatchedAfterBreach: wavesPatchedAfterBreach(pm),
    postmortem: postmortemLinks(pm.incident.id),
  };
}

/** Judges the scenario's SLOs on the scored incidents. An SLO with no incident to judge fails: the drill did not exercise it. */
export function evaluateSlos(slos: ScenarioSlos, incidents: ScoredIncident[]): SloResult[] {
  const results: SloResult[] = [];
  const within = (slo: string, target: string, filter: SloFilter, maxMs: number, value: (i: ScoredIncident) => number | null) => {
    const judged = incidents.filter((i) => matches(i, filter));
    const details = judged.map((i) => {
      const v = value(i);
      return { incidentId: i.id, measured: v, value: v === null ? 'not reached' : formatDuration(v), passed: v !== null && v <= maxMs };
    });
    results.push({ slo, target, passed: details.length > 0 && details.every((d) => d.passed), details });
  };
  if (slos.timeToContain) {
    const { max, for: f } = slos.timeToContain;
    within('timeToContain', `≤ ${max}${describeFilter(f)}`, f, durationMs(max), (i) => i.toContainMs);
  }
  if (slos.timeToResolve) {
    const { max, for: f } = slos.timeToResolve;
    within('timeToResolve', `≤ ${max}${describeFilter(f)}`, f, durationMs(max), (i) => i.toResolveMs);
  }
  if (slos.credentialRevokedWithin !== undefined) {
    const max = slos.credentialRevokedWithin;
    within('credentialRevokedWithin', `≤ ${max} after detection (secret-leak)`, { playbook: 'secret-leak' }, durationMs(max), (i) => i.credentialRevokedAfterMs);
  }
  if (slos.noWaveWidenedPastBreach) {
    const details = incidents
      .filter((i) => i.wavesPatchedAfterBreach !== null)
      .map((i) => ({ incidentId: i.id, measured: i.wavesPatchedAfterBreach, value: `${i.wavesPatchedAfterBreach} wave(s) patched after a breach`, passed: i.wavesPatchedAfterBreach === 0 }));
    results.push({ slo: 'noWaveWidenedPastBreach', target: 'no wave patched after the SLO breached (patch-canary)', passed: details.length > 0 && details.every((d) => d.passed), details });
  }
  if (slos.maxFailedSteps !== undefined) {
    const { max, for: f } = typeof slos.maxFailedSteps === 'number' ? { max: slos.maxFailedSteps, for: {} } : slos.maxFailedSteps;
    const judged = incidents.filter((i) => matches(i, f));
    const details = judged.map((i) => ({ incidentId: i.id, measured: i.failedSteps.length, value: String(i.failedSteps.length), passed: i.failedSteps.length <= max }));
    results.push({ slo: 'maxFailedSteps', target: `≤ ${max} per incident${describeFilter(f)}`, passed: details.length > 0 && details.every((d) => d.passed), details });
  }
  return results;
}

function matches(i: ScoredIncident, f: SloFilter): boolean {
  return (f.playbook === undefined || i.playbook === f.playbook) && (f.environment === undefined || i.environment === f.environment);
}

function describeFilter(f: SloFilter): string {
  const parts = [f.playbook && `playbook ${f.playbook}`, f.environment && `${f.environment} hosts`].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** The scorecard as Markdown, for people. */
export function renderScorecard(s: Scorecard): string {
  const d = (ms: number | null) => (ms === null ? '—' : formatDuration(ms));
  const lines = [
    `# Game day: ${s.gameday} — ${s.passed ? 'PASSED' : 'FAILED'}`,
    '',
    s.description,
    '',
    `Ran ${s.startedAt} → ${s.finishedAt}${s.allClosed ? '' : ' (deadline reached with incidents still open)'}.`,
    `Alerts: ${s.alerts.sent} sent — ${s.alerts.started} started an incident, ${s.alerts.merged} merged, ${s.alerts.duplicate} duplicate, ${s.alerts.suppressed} suppressed, ${s.alerts.rejected} rejected.`,
    '',
    '## SLOs',
    '',
    '| SLO | Target | Result | Numbers |',
    '| --- | --- | --- | --- |',
    ...s.slos.map((r) => `| ${r.slo} | ${r.target} | ${r.passed ? 'pass' : '**FAIL**'} | ${r.details.length ? r.details.map((x) => `${x.incidentId.slice(0, 8)}: ${x.value}${x.passed ? '' : ' ✗'}`).join('<br>') : 'no incident to judge'} |`),
    '',
    '## Incidents',
    '',
    '| Incident | Playbook | Entity | Status | Detect | Contain | Resolve | Steps | Retries | Failed steps | Approvals (wait) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...s.incidents.map(
      (i) =>
        `| ${i.id.slice(0, 8)} | ${i.playbook} | ${i.entity ?? '—'} | ${i.status} | ${d(i.toDetectMs)} | ${d(i.toContainMs)} | ${d(i.toResolveMs)} | ${i.steps} | ${i.retries} | ${i.failedSteps.map((f) => f.name).join(', ') || '0'} | ${i.approvals.map((a) => `${a.gateId} ${a.outcome} (${d(a.waitedMs)})`).join('<br>') || '—'} |`,
    ),
    '',
    '## Postmortems',
    '',
    ...(s.incidents.length ? s.incidents.map((i) => `- ${i.id.slice(0, 8)} ${i.title}: review ${i.postmortem.review}, generated ${i.postmortem.generated}`) : ['- none']),
    '',
    '## Faults',
    '',
    ...(s.faults.length ? s.faults.map((f) => `- ${f.capability}.${f.action} on ${f.target}: set ${f.setAt}, cleared ${f.clearedAt ?? 'never'}`) : ['- none']),
    '',
    ...(s.infrastructure.length
      ? [
          '## Infrastructure faults',
          '',
          ...s.infrastructure.map((w) => `- ${w.fault} at ${w.at}${w.for ? ` for ${w.for}` : ''}: began ${w.setAt}, back ${w.endedAt ?? 'never'}${w.error ? ` (${w.error})` : ''}`),
          '',
          '| Fault | Check | Result | Numbers |',
          '| --- | --- | --- | --- |',
          ...s.checks.map((c) => `| ${c.fault} (${c.setAt.slice(11, 19)}) | ${c.check} | ${c.passed ? 'pass' : '**FAIL**'} | ${c.value} |`),
          '',
        ]
      : []),
  ];
  return lines.join('\n');
}
