import type { ApiClient } from './api-client';
import { resolveIncidentId } from './incidents';
import { printJson, say } from './output';

/** `palisade incidents link <id> <other>`: POST /incidents/:id/links. */
export async function incidentsLink(client: ApiClient, incident: string, other: string, opts: { relation?: string; reason?: string; json?: boolean }): Promise<void> {
  const [id, otherId] = await Promise.all([resolveIncidentId(client, incident), resolveIncidentId(client, other)]);
  const linked = await client.post<{ relation: string; created: boolean }>(`/incidents/${id}/links`, {
    incidentId: otherId,
    ...(opts.relation ? { relation: opts.relation } : {}),
    ...(opts.reason ? { reason: opts.reason } : {}),
  });
  if (opts.json) return printJson(linked);
  say(linked.created ? `Linked ${id} to ${otherId} (${linked.relation}); both timelines say so.` : `Already linked (${linked.relation}); nothing changed.`);
}

/** `palisade incidents merge <id> --into <survivor> --reason …`: POST /incidents/:id/merge. */
export async function incidentsMerge(client: ApiClient, incident: string, opts: { into: string; reason: string; undo?: boolean; json?: boolean }): Promise<void> {
  const [id, into] = await Promise.all([resolveIncidentId(client, incident), resolveIncidentId(client, opts.into)]);
  const merged = await client.post<{ alertsMoved: number; status: string; gateId?: string }>(`/incidents/${id}/merge`, { into, reason: opts.reason, undo: opts.undo === true });
  if (opts.json) return printJson(merged);
  const stop = {
    stopping: opts.undo ? 'its playbook is stopping and undoing what it changed' : 'its playbook is stopping; what it did stays done',
    closed: 'it had no running playbook and is resolved',
    'awaiting-approval': `undoing its containment waits for an approver at gate ${merged.gateId ?? '?'}`,
  }[merged.status];
  say(`Merged ${id} into ${into}: ${merged.alertsMoved} alert(s) moved; ${stop ?? merged.status}.`);
}
