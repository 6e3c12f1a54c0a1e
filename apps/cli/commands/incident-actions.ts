import type { ApiClient } from './api-client';
import { CliError, EXIT } from './exit-codes';
import { resolveIncidentId } from './incidents';
import { printJson, say } from './output';

/** What a responder does to an incident from the shell: each is one API route (responder role). */
export type IncidentAction = 'ack' | 'take' | 'assign' | 'unassign' | 'note' | 'resolve' | 'cancel' | 'edit';

export interface ActionOptions {
  reason?: string;
  note?: string;
  tag?: string[];
  severity?: string;
  title?: string;
  /** resolve (required) and cancel (default false_positive): what the incident was. */
  classification?: string;
  json?: boolean;
}

interface Assigned {
  assignee: string | null;
  previous: string | null;
  changed: boolean;
}

/**
 * `palisade incidents ack|take|assign|unassign|note|resolve|cancel|edit <id> …`: the route, its
 * answer in a sentence (or as JSON), and the API's refusal as an error with its hint.
 */
export async function incidentAction(client: ApiClient, action: IncidentAction, idOrPrefix: string, arg: string | undefined, opts: ActionOptions): Promise<void> {
  const id = await resolveIncidentId(client, idOrPrefix);
  const path = `/incidents/${id}`;
  const reason = opts.reason ? { reason: opts.reason } : {};
  let answer: unknown;
  let sentence: string;
  switch (action) {
    case 'ack': {
      const a = await client.post<{ acknowledgedBy: string; acknowledgedAt: string; pages: number }>(`${path}/acknowledge`, opts.note ? { note: opts.note } : {});
      [answer, sentence] = [a, `Incident ${id} acknowledged by ${a.acknowledgedBy} at ${a.acknowledgedAt}${a.pages ? ` (${a.pages} page(s) acknowledged at their vendor)` : ''}.`];
      break;
    }
    case 'take':
    case 'unassign':
    case 'assign': {
      if (action === 'assign' && !arg) throw new CliError(EXIT.usage, 'missing_argument', 'assign needs a person.', 'palisade incidents assign <id> <person> [--reason …]');
      const a = await client.post<Assigned>(`${path}/${action}`, action === 'assign' ? { assignee: arg, ...reason } : reason);
      const who = a.assignee ?? 'nobody';
      [answer, sentence] = [a, a.changed ? `Incident ${id} is now ${a.assignee ? `${who}'s` : 'nobody’s'}${a.previous ? ` (was ${a.previous})` : ''}.` : `Incident ${id} already was ${a.assignee ? `${who}'s` : 'nobody’s'}: nothing changed.`];
      break;
    }
    case 'note': {
      if (!arg) throw new CliError(EXIT.usage, 'missing_argument', 'note needs its text.', 'palisade incidents note <id> "text" (Markdown; "-" reads it from stdin).');
      const text = arg === '-' ? await stdin() : arg;
      const a = await client.post<{ noteId: string; author: string; at: string }>(`${path}/notes`, { text });
      [answer, sentence] = [a, `Note ${a.noteId} by ${a.author} on incident ${id}.`];
      break;
    }
    case 'resolve':
    case 'cancel': {
      if (!opts.reason) throw new CliError(EXIT.usage, 'missing_option', `${action} needs --reason.`, `palisade incidents ${action} <id> --reason "…"`);
      const a = await client.post<{ status: string; message?: string }>(`${path}/${action}`, { ...reason, ...(opts.classification ? { classification: opts.classification } : {}) });
      [answer, sentence] = [a, a.message ?? `Incident ${id}: its playbook was asked to ${action} it (palisade incidents tail ${id.slice(0, 8)} shows it close).`];
      break;
    }
    case 'edit': {
      if (!opts.reason) throw new CliError(EXIT.usage, 'missing_option', 'edit needs --reason.', 'palisade incidents edit <id> --severity low --reason "…"');
      if (!opts.tag && !opts.severity && !opts.title) throw new CliError(EXIT.usage, 'missing_option', 'edit needs --tag, --severity or --title.', 'palisade incidents edit <id> --severity low --reason "…"');
      const body = { ...reason, ...(opts.tag ? { tags: opts.tag.flatMap((t) => t.split(',')).filter(Boolean) } : {}), ...(opts.severity ? { severity: opts.severity } : {}), ...(opts.title ? { title: opts.title } : {}) };
      const a = await client.patch<{ changes: { field: string; from: unknown; to: unknown }[] }>(path, body);
      const shown = (v: unknown) => (Array.isArray(v) ? v.join(', ') || 'none' : String(v));
      [answer, sentence] = [a, a.changes.length ? a.changes.map((c) => `${c.field}: ${shown(c.from)} → ${shown(c.to)}`).join('\n') : 'Nothing changed.'];
      break;
    }
  }
  if (opts.json) return printJson(answer);
  say(sentence);
}

async function stdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
