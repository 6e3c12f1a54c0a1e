import { randomUUID } from 'node:crypto';
import { eventually, getJson } from './engine';
import { genericAlert, sendGeneric } from './webhooks';

/** One event of GET /incidents/:id/timeline, as tests read it. */
export interface TimelineEvent {
  id: string;
  sequence: number;
  type: string;
  actor: string;
  summary: string;
  data: Record<string, any>;
}

/** An incident's whole timeline (one page of up to 500 events; throws if there is a next page, so nothing is missed). */
export async function timelineOf(baseUrl: string, incidentId: string): Promise<TimelineEvent[]> {
  const res = await getJson(`${baseUrl}/incidents/${incidentId}/timeline?limit=500`);
  if (res.status !== 200) throw new Error(`GET timeline of ${incidentId}: ${res.status} ${JSON.stringify(res.body)}`);
  if (res.body.nextCursor) throw new Error(`the timeline of ${incidentId} has more than 500 events`);
  return res.body.events as TimelineEvent[];
}

/** An incident opened by a generic alert for `host` (titled `title`), once its playbook has begun its timeline. */
export async function openedByAlert(baseUrl: string, host: string, title: string): Promise<string> {
  const sent = await sendGeneric(baseUrl, genericAlert(host, { title }), { delivery: randomUUID() });
  if (sent.status !== 202) throw new Error(`alert for ${host}: ${sent.status} ${JSON.stringify(sent.body)}`);
  const id = sent.body.incidentId as string;
  await eventually(`the playbook of ${host} to start`, async () => ((await timelineOf(baseUrl, id)).length > 0 ? true : undefined), 60_000);
  return id;
}
