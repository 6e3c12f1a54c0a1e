import { durationMs, DURATION_PATTERN } from '../../../lib/duration';
import { INCIDENT_STATUSES, OPEN_INCIDENT_STATUSES } from '../../../lib/domain/incident';
import type { ApiClient } from './api-client';
import { CliError, EXIT } from './exit-codes';
import { printJson, say, shortId, table, truncate, utc } from './output';

/** An incident as the API answers it (lib/db/entities/incident.entity.ts, dates as ISO strings). */
export interface IncidentJson {
  id: string;
  workflowId: string;
  title: string;
  severity: string;
  status: string;
  playbook: string;
  playbookVersion: string;
  startedBuild?: string | null;
  runningBuild?: string | null;
  /** Set while its run is stuck (a workflow task that keeps failing). */
  stuckSince?: string | null;
  stuckReason?: string | null;
  entity: string | null;
  /** Who owns it (a people.yaml id); null: nobody. */
  assignee?: string | null;
  tags?: string[];
  alertCount: number;
  sources: string[];
  detectedAt: string;
  acknowledgedAt: string | null;
  containedAt: string | null;
  resolvedAt: string | null;
  /** What it was, as whoever closed it said (absent: an API from before classifications). */
  classification?: string | null;
  classificationReason?: string | null;
  classifiedBy?: string | null;
}

/** GET /incidents/:id: the projection plus the playbook's live state while it runs. */
interface DescribedIncident extends IncidentJson {
  live: { phase?: string; currentStep?: string | null } | null;
  liveStatus: 'running' | 'closed' | 'unreachable';
  liveReason?: string | null;
}

export interface TimelineEventJson {
  sequence: number;
  type: string;
  occurredAt: string;
  actor: string;
  summary: string;
  data: Record<string, unknown>;
}

interface GateJson {
  id: string;
  step: string;
  summary: string;
  status: string;
  approvals: number;
  needed: number;
  options?: string[];
  deadline: string | null;
  whoMayDecide: string;
}

export const OPEN_STATUSES: readonly string[] = OPEN_INCIDENT_STATUSES;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The API's largest page of incidents. */
const PAGE = 200;

export interface ListOptions {
  status?: string;
  severity?: string;
  playbook?: string;
  entity?: string;
  source?: string;
  since?: string;
  until?: string;
  /** `me` or a person: incidents they own. */
  assignee?: string;
  /** Incidents nobody owns. */
  unassigned?: boolean;
  limit: string;
  all?: boolean;
  json?: boolean;
}

/** `palisade incidents ls`: open incidents newest first (every status with --all), filtered. */
export async function incidentsList(client: ApiClient, opts: ListOptions): Promise<void> {
  const limit = positiveInt(opts.limit, '--limit');
  const status = opts.status ?? (opts.all ? undefined : OPEN_STATUSES.join(','));
  const query = {
    status,
    severity: opts.severity,
    playbook: opts.playbook,
    entity: opts.entity,
    source: opts.source,
    since: opts.since && instant(opts.since, '--since'),
    until: opts.until && instant(opts.until, '--until'),
    assignee: opts.assignee,
    unassigned: opts.unassigned ? 'true' : undefined,
  };
  const incidents: IncidentJson[] = [];
  let cursor: string | null | undefined;
  do {
    const page = await client.get<{ incidents: IncidentJson[]; nextCursor: string | null }>('/incidents', {
      ...query,
      limit: Math.min(PAGE, limit - incidents.length),
      cursor: cursor ?? undefined,
    });
    incidents.push(...page.incidents);
    cursor = page.nextCursor;
  } while (cursor && incidents.length < limit);

  if (opts.json) return printJson({ incidents, nextCursor: cursor ?? null });
  if (incidents.length === 0) {
    say(`No incidents${opts.status || opts.all ? '' : ' open (--all shows resolved and cancelled ones too)'}.`);
    return;
  }
  say(
    table(
      ['ID', 'SEVERITY', 'STATUS', 'ASSIGNEE', 'PLAYBOOK', 'ENTITY', 'ALERTS', 'DETECTED (UTC)', 'TITLE'],
      incidents.map((i) => [shortId(i.id), i.severity, i.stuckSince ? `${i.status} STUCK` : i.status, i.assignee ?? '—', i.playbook, i.entity ?? '—', String(i.alertCount), utc(i.detectedAt), truncate(i.title, 60)]),
    ),
  );
  if (cursor) say(`… more than ${incidents.length}: raise --limit, or narrow with --since / --status.`);
}

/** `palisade incidents show <id>`: the incident, its pending approvals and its last events. */
export async function incidentsShow(client: ApiClient, idOrPrefix: string, opts: { events: string; json?: boolean }): Promise<void> {
  const id = await resolveIncidentId(client, idOrPrefix);
  const last = positiveInt(opts.events, '--events');
  const incident = await client.get<DescribedIncident>(`/incidents/${id}`);
  const [gates, timeline] = await Promise.all([incident.liveStatus === 'running' ? pendingGates(client, id) : Promise.resolve(null), lastEvents(client, id, last)]);

  if (opts.json) return printJson({ incident, pendingApprovals: gates, events: timeline.events, eventCount: timeline.total });

  const live =
    incident.liveStatus === 'running'
      ? `playbook running${incident.live?.phase ? `, ${incident.live.phase}` : ''}${incident.live?.currentStep ? `, step ${incident.live.currentStep}` : ''}`
      : incident.liveStatus === 'unreachable'
        ? `${incident.liveReason ?? "Temporal or the playbook's worker did not answer"}: projection only`
        : 'playbook finished';
  say(incident.title);
  const rows: [string, string][] = [
    ['id', incident.id],
    ['severity', incident.severity],
    ['status', `${incident.status} (${live})`],
    ['assignee', incident.assignee ?? 'nobody (palisade incidents take <id>)'],
    ['playbook', `${incident.playbook} ${incident.playbookVersion}`],
    ['build', !incident.startedBuild ? '—' : incident.startedBuild === incident.runningBuild ? incident.startedBuild : `started on ${incident.startedBuild}, now ${incident.runningBuild}`],
    ['workflow', incident.workflowId],
    ['entity', incident.entity ?? '—'],
    ['alerts', `${incident.alertCount}${incident.sources.length ? ` from ${incident.sources.join(', ')}` : ''}`],
    ['detected', utc(incident.detectedAt)],
    ['acknowledged', utc(incident.acknowledgedAt)],
    ['contained', utc(incident.containedAt)],
    ['resolved', utc(incident.resolvedAt)],
    ['classified', incident.classification ? `${incident.classification.replaceAll('_', ' ')} by ${incident.classifiedBy ?? '—'}: ${incident.classificationReason ?? ''}` : '—'],
  ];
  for (const [k, v] of rows) say(`  ${k.padEnd(13)}${v}`);

  const waiting = (gates ?? []).filter((g) => g.status === 'open' || g.status === 'paused');
  if (waiting.length > 0) {
    say('');
    say('Pending approvals');
    for (const g of waiting) {
      say(`  ${g.id}  ${g.status}, ${g.approvals} of ${g.needed} approval(s), deadline ${utc(g.deadline)}: ${g.summary}`);
      say(`    who may decide: ${g.whoMayDecide}${g.options ? `; choices: ${g.options.join(', ')}` : ''}`);
      say(`    palisade approve ${incident.id} ${g.id} --reason "…"`);
      say(`    palisade deny ${incident.id} ${g.id} --reason "…"`);
    }
  }
  say('');
  say(timeline.total > timeline.events.length ? `Last ${timeline.events.length} of ${timeline.total} events` : `Events (${timeline.total})`);
  for (const e of timeline.events) say(`  ${timelineLine(e)}`);
}

/** One timeline event on one line: time, sequence, type, actor, summary. */
export function timelineLine(e: TimelineEventJson): string {
  return `${utc(e.occurredAt)}  #${String(e.sequence).padEnd(4)} ${e.type.padEnd(24)} ${e.actor.padEnd(10)} ${e.summary}`;
}

export function isClosingEvent(type: string): boolean {
  return type === 'incident.resolved' || type === 'incident.cancelled';
}

/**
 * A full incident id, or the first characters of one (as `incidents ls` shows them) looked up
 * among the newest 1,000 incidents.
 */
export async function resolveIncidentId(client: ApiClient, idOrPrefix: string): Promise<string> {
  if (UUID.test(idOrPrefix) || !/^[0-9a-f-]{4,35}$/i.test(idOrPrefix)) return idOrPrefix;
  const prefix = idOrPrefix.toLowerCase();
  const found = new Set<string>();
  let cursor: string | null = null;
  for (let page = 0; page < 5; page++) {
    const res: { incidents: IncidentJson[]; nextCursor: string | null } = await client.get('/incidents', {
      status: INCIDENT_STATUSES.join(','),
      limit: PAGE,
      cursor: cursor ?? undefined,
    });
    for (const i of res.incidents) if (i.id.startsWith(prefix)) found.add(i.id);
    cursor = res.nextCursor;
    if (!cursor) break;
  }
  if (found.size === 1) return [...found][0];
  if (found.size === 0) {
    throw new CliError(EXIT.notFound, 'incident_not_found', `No incident id starts with '${idOrPrefix}' among the newest 1,000.`, 'Use the full id: `palisade incidents ls --all --json` lists them.');
  }
  throw new CliError(EXIT.usage, 'ambiguous_incident_id', `'${idOrPrefix}' starts ${found.size} incident ids: ${[...found].join(', ')}.`, 'Give more characters of the id, or all of it.');
}

/** The open gates of a running incident; null when its playbook cannot say (just finished, Temporal away, its worker failing). */
async function pendingGates(client: ApiClient, id: string): Promise<GateJson[] | null> {
  try {
    return (await client.get<{ gates: GateJson[] }>(`/incidents/${id}/approvals`)).gates.filter((g) => g.status === 'open' || g.status === 'paused');
  } catch (err) {
    if (err instanceof CliError && (err.status === 409 || err.status === 502 || err.status === 503)) return null;
    throw err;
  }
}

/** The last `n` events of the timeline (read page by page, oldest first) and how many there are. */
async function lastEvents(client: ApiClient, id: string, n: number): Promise<{ events: TimelineEventJson[]; total: number }> {
  let events: TimelineEventJson[] = [];
  let total = 0;
  let after = 0;
  for (;;) {
    const page = await client.get<{ events: TimelineEventJson[]; nextCursor: number | null }>(`/incidents/${id}/timeline`, { after, limit: 500 });
    total += page.events.length;
    events = [...events, ...page.events].slice(-n);
    if (page.nextCursor === null) return { events, total };
    after = page.nextCursor;
  }
}

export function positiveInt(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(EXIT.usage, 'invalid_option', `${option} ${value} is not a positive whole number.`, `e.g. ${option} 20`);
  return n;
}

/** An ISO 8601 time, or a duration back from now ("30m", "24h", "7d"). */
export function instant(value: string, option: string): string {
  if (DURATION_PATTERN.test(value)) return new Date(Date.now() - durationMs(value)).toISOString();
  if (!Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  throw new CliError(EXIT.usage, 'invalid_option', `${option} '${value}' is neither a time nor a duration.`, `e.g. ${option} 24h, or ${option} 2026-11-20T00:00:00Z`);
}
