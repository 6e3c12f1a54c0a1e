import type { DataSource } from 'typeorm';
import type { Redactor } from '../../../lib/intake/redact';
import type { Person } from '../../../lib/people';
import { escapeMrkdwn } from '../../../lib/slack/templates';
import { hasRole } from '../auth/roles';
import { ApiError } from '../common/error.filter';
import { acknowledgeIncident } from '../incidents/acknowledge';
import { setAssignee } from '../incidents/assign';
import { addNote } from '../incidents/note';

/** The `/palisade` verbs that act on an incident (responder), beside `status` and `pending`. */
export const SLACK_INCIDENT_ACTIONS = ['ack', 'take', 'note'] as const;
export type SlackIncidentAction = (typeof SLACK_INCIDENT_ACTIONS)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `/palisade ack <id> [note]`, `/palisade take <id> [reason]`, `/palisade note <id> <text>`: the
 * API's own actions (apps/api/incidents/), as the person people.yaml knows by this Slack user,
 * who must hold the responder role there. Answers a sentence for the caller only.
 */
export async function slackIncidentAction(db: DataSource, redactor: Redactor, person: Person, verb: SlackIncidentAction, rest: string): Promise<string> {
  if (!person.roles.some((r) => hasRole(r, 'responder'))) {
    return `\`/palisade ${verb}\` needs the responder role in runbooks/people.yaml, and ${person.id} has ${person.roles.join(', ') || 'none'}. Ask an admin to add it there.`;
  }
  const [id = '', ...words] = rest.trim().split(/\s+/);
  const text = rest.trim().slice(id.length).trim();
  if (!UUID.test(id)) return `\`${escapeMrkdwn(id || ' ')}\` is not an incident id (a UUID, as in the incident's link). Usage: \`/palisade ${verb} <incident-id>${verb === 'note' ? ' <text>' : ' [why]'}\``;
  const said = text ? redactor.redactText(text) : undefined;
  try {
    switch (verb) {
      case 'ack': {
        const a = await acknowledgeIncident(db, id, person.id, said);
        return a.acknowledgedBy === person.id ? `Acknowledged by you (${a.acknowledgedAt}).` : `Already acknowledged by ${a.acknowledgedBy} at ${a.acknowledgedAt}: nothing changed.`;
      }
      case 'take': {
        const a = await setAssignee(db, id, { assignee: person.id, by: person.id, reason: said, how: 'take' });
        return a.changed ? `It is yours now${a.previous ? ` (was ${a.previous})` : ''}.` : 'It already is yours.';
      }
      case 'note': {
        if (!said || words.length === 0) return 'Usage: `/palisade note <incident-id> <text>`';
        await addNote(db, id, { text: said, author: person.id });
        return 'Your note is on the timeline.';
      }
    }
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const body = err.getResponse() as { message: string; hint: string };
    return `${body.message} ${body.hint}`;
  }
}
