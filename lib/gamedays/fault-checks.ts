import { formatDuration } from '../postmortem/format';
import { VENDOR_FAULTS, type InfraFault, type VendorDelivery } from './faults';
import type { FaultWindow } from './fault-windows';
import type { ScoredIncident } from './scorecard';

/** One line of the scorecard about one fault: what the engine and the responders did about it. */
export interface FaultCheck {
  fault: InfraFault;
  /** When the fault began (tells two faults of a kind apart). */
  setAt: string;
  check: string;
  passed: boolean;
  /** The figure behind it, for people ("2 of 2 incidents closed"). */
  value: string;
}

/** One webhook delivery of the game day as the runner saw its answer. */
export interface AlertAnswer {
  sentAt: number;
  /** The incident and disposition of a 202; null when no 202 ever came (connection refused, 5xx until the end). */
  incidentId: string | null;
  disposition: 'started' | 'merged' | 'suppressed' | 'duplicate' | null;
  /** Deliveries made of it (a retrying sender's). */
  attempts: number;
  /** One of the scenario's own `duplicates` (answered duplicate on purpose, never counted). */
  duplicate: boolean;
}

/** Alerts the incident should count: each answered started or merged, or duplicate on a resend (an earlier, unanswered delivery of it was stored). */
function counted(a: AlertAnswer): boolean {
  return a.disposition === 'started' || a.disposition === 'merged' || (a.disposition === 'duplicate' && !a.duplicate && a.attempts > 1);
}

/** Slack as the engine recorded it (`slack.posted` per incident and gate) and as Slack saw it. */
export interface SlackEvidence {
  posted: { incidentId: string; gateId: string }[];
  /** Null: the environment has no view of what Slack received (the line fails: it cannot be judged). */
  delivered: VendorDelivery[] | null;
}

export interface FaultEvidence {
  windows: FaultWindow[];
  incidents: ScoredIncident[];
  answers: AlertAnswer[];
  slack: SlackEvidence | null;
  finishedAt: number;
}

const CLOSED = new Set(['resolved', 'cancelled']);
const UNDECIDED = new Set(['open', 'paused']);
const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : null);

/**
 * Judges each infrastructure fault: the part came back; the incidents open while it was broken
 * all closed; every gate waiting then or after was still decided; every alert sent during it got
 * its 202 and is counted by its incident; and, for Slack, each approval request reached Slack
 * once (none lost, none doubled). A line with nothing to judge fails, as an unexercised SLO does.
 */
export function judgeFaults(e: FaultEvidence): FaultCheck[] {
  return e.windows.flatMap((w) => {
    const start = Date.parse(w.setAt);
    const end = ms(w.endedAt) ?? e.finishedAt;
    const line = (check: string, passed: boolean, value: string): FaultCheck => ({ fault: w.fault, setAt: w.setAt, check, passed, value });
    const lines: FaultCheck[] = [
      line(
        VENDOR_FAULTS.has(w.fault) ? 'vendor back' : 'process back',
        w.endedAt !== null && w.error === null,
        w.error ?? (w.downMs === null ? 'never came back' : `${VENDOR_FAULTS.has(w.fault) ? 'answering again' : 'started again and ready'} ${formatDuration(w.downMs)} after the fault`),
      ),
    ];
    // Incidents alive at some point of the window: started before it ended, not closed before it began.
    const during = e.incidents.filter((i) => (ms(i.times.startedAt) ?? 0) <= end && (ms(i.times.closedAt) ?? Infinity) >= start);
    const closed = during.filter((i) => CLOSED.has(i.status));
    lines.push(
      line(
        'incidents closed',
        during.length > 0 && closed.length === during.length,
        during.length === 0 ? 'no incident was open during the fault: nothing to judge' : `${closed.length} of ${during.length} incidents open during the fault closed${closed.length < during.length ? ` (still ${during.filter((i) => !CLOSED.has(i.status)).map((i) => `${i.id.slice(0, 8)} ${i.status}`).join(', ')})` : ''}`,
      ),
    );
    const gates = during.flatMap((i) => i.approvals.filter((a) => (ms(a.decidedAt) ?? Infinity) >= start).map((a) => ({ incident: i.id, ...a })));
    if (gates.length > 0) {
      const decided = gates.filter((g) => !UNDECIDED.has(g.outcome));
      const slowest = Math.max(0, ...decided.map((g) => (ms(g.decidedAt) ?? end) - end));
      lines.push(
        line(
          'gates decidable',
          decided.length === gates.length,
          `${decided.length} of ${gates.length} gates waiting during or after the fault decided${decided.length ? ` (the last ${formatDuration(slowest)} after it ended)` : ''}${decided.length < gates.length ? `; still waiting: ${gates.filter((g) => UNDECIDED.has(g.outcome)).map((g) => `${g.incident.slice(0, 8)}/${g.gateId}`).join(', ')}` : ''}`,
        ),
      );
    }
    const sent = e.answers.filter((a) => a.sentAt >= start && a.sentAt <= end);
    if (sent.length > 0) lines.push(alertsLine(line, sent, e));
    if (w.fault === 'slack-down') lines.push(slackLine(line, w, start, end, during, e.slack));
    return lines;
  });
}

/** Every alert sent during the fault answered 202 in the end, and each incident counts exactly the alerts it was answered for. */
function alertsLine(line: (check: string, passed: boolean, value: string) => FaultCheck, sent: AlertAnswer[], e: FaultEvidence): FaultCheck {
  const unanswered = sent.filter((a) => a.incidentId === null && a.disposition === null);
  const touched = new Set(sent.map((a) => a.incidentId).filter((id): id is string => id !== null));
  const miscounted = [...touched].flatMap((id) => {
    const answered = e.answers.filter((a) => a.incidentId === id && counted(a)).length;
    const incident = e.incidents.find((i) => i.id === id);
    return incident && incident.alertCount === answered ? [] : [`${id.slice(0, 8)}: ${answered} answered, ${incident?.alertCount ?? 'no incident'} counted`];
  });
  const retried = sent.filter((a) => a.attempts > 1).length;
  return line(
    'alerts reached their incidents',
    unanswered.length === 0 && miscounted.length === 0,
    `${sent.length - unanswered.length} of ${sent.length} alerts sent during the fault answered 202${retried ? ` (${retried} after a retry)` : ''}; ${miscounted.length ? `miscounted: ${miscounted.join('; ')}` : `each counted by its incident (${touched.size})`}`,
  );
}

/** The metadata event type of an incident's Slack post (activities/providers/chat/slack-post.ts), as the ledger keys it. */
export const INCIDENT_POST_KEY = 'palisade_incident';

/**
 * Slack, since the outage began: every approval request of a gate waiting at some point from
 * then on (asked during it, or after it: Slack works again), and every incident post the paging
 * outbox owed an incident alive then. None accepted twice; none lost: each the engine recorded as
 * delivered is in Slack, each gate still waiting at the end has its request there, and each
 * incident post was delivered by the end.
 */
function slackLine(
  line: (check: string, passed: boolean, value: string) => FaultCheck,
  w: FaultWindow,
  start: number,
  end: number,
  during: ScoredIncident[],
  slack: SlackEvidence | null,
): FaultCheck {
  const check = 'Slack messages delivered once';
  if (!slack?.delivered) return line(check, false, 'this environment cannot see what Slack received: nothing to judge');
  const delivered = slack.delivered;
  const count = (incidentId: string, key: string) => delivered.filter((d) => d.incidentId === incidentId && d.key === key).length;
  const gates = during.flatMap((i) => i.approvals.filter((a) => (ms(a.decidedAt) ?? Infinity) >= start).map((a) => ({ incidentId: i.id, ...a })));
  const duringOutage = gates.filter((g) => Date.parse(g.requestedAt) <= end).length;
  const posts = during.flatMap((i) => i.notices.filter((n) => n.kind === 'chat').map((n) => ({ incidentId: i.id, ...n })));
  const name = (g: { incidentId: string; gateId: string }) => `${g.incidentId.slice(0, 8)}/${g.gateId}`;
  const doubled = [...new Set(delivered.filter((d) => count(d.incidentId, d.key) > 1).map((d) => `${d.incidentId.slice(0, 8)}/${d.key}`))];
  const lost = [
    ...slack.posted.filter((p) => count(p.incidentId, `approval:${p.gateId}`) === 0).map((p) => `${name(p)} (the engine recorded it posted)`),
    ...gates.filter((g) => UNDECIDED.has(g.outcome) && count(g.incidentId, `approval:${g.gateId}`) === 0).map((g) => `${name(g)} (still waiting, never posted)`),
    ...posts.filter((p) => p.sentAt === null).map((p) => `${p.incidentId.slice(0, 8)} post to ${p.target} (still ${p.status} at the end)`),
    ...posts.filter((p) => p.sentAt !== null && count(p.incidentId, INCIDENT_POST_KEY) === 0).map((p) => `${p.incidentId.slice(0, 8)} post to ${p.target} (the engine recorded it sent)`),
  ];
  const reached = gates.filter((g) => count(g.incidentId, `approval:${g.gateId}`) > 0);
  const postsIn = posts.filter((p) => count(p.incidentId, INCIDENT_POST_KEY) > 0);
  const judged = new Set([...reached.map((g) => `${g.incidentId}|approval:${g.gateId}`), ...postsIn.map((p) => `${p.incidentId}|${INCIDENT_POST_KEY}`)]);
  const lastAt = Math.max(0, ...delivered.filter((d) => judged.has(`${d.incidentId}|${d.key}`)).map((d) => d.at - end));
  const nothing = gates.length === 0 && posts.length === 0;
  return line(
    check,
    w.endedAt !== null && !nothing && doubled.length === 0 && lost.length === 0,
    nothing
      ? 'no approval request or incident post was due from the outage on: nothing to judge'
      : `${reached.length} of ${gates.length} approval requests due since the outage began (${duringOutage} asked during it) and ${postsIn.length} of ${posts.length} incident posts reached Slack${judged.size ? ` (the last ${formatDuration(lastAt)} after it came back)` : ''}; ${lost.length} lost${lost.length ? ` (${lost.join(', ')})` : ''}, ${doubled.length} doubled${doubled.length ? ` (${doubled.join(', ')})` : ''}`,
  );
}
