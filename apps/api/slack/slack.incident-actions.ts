import type { DataSource } from 'typeorm';
import { CLASSIFICATION_EXPECTED, CLASSIFICATIONS, type Classification } from '../../../lib/domain/classification';
import type { Redactor } from '../../../lib/intake/redact';
import type { Person } from '../../../lib/people';
import { escapeMrkdwn } from '../../../lib/slack/templates';
import { hasRole } from '../auth/roles';
import { ApiError } from '../common/error.filter';
import { acknowledgeIncident } from '../incidents/acknowledge';
import { setAssignee } from '../incidents/assign';
import type { IncidentsService } from '../incidents/incidents.service';
import { addNote } from '../incidents/note';

/** The `/palisade` verbs that act on an incident (responder), beside `status` and `pending`. */
export const SLACK_INCIDENT_ACTIONS = ['ack', 'take', 'note', 'resolve', 'cancel'] as const;
export type SlackIncidentAction = (typeof SLACK_INCIDENT_ACTIONS)[number];

/** What each verb takes after the incident id (its usage line). */
const ARGUMENTS: Record<SlackIncidentAction, string> = { ack: '[note]', take: '[why]', note: '<text>', resolve: '<classification> <reason>', cancel: '<reason>' };

/** Resolve and cancel signal the incident's playbook: the API's own service does it (Temporal, redaction, closed incidents refused). */
export type IncidentCloser = Pick<IncidentsService, 'resolve' | 'cancel'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `/palisade ack <id> [note]`, `/palisade take <id> [reason]`, `/palisade note <id> <text>`,
 * `/palisade resolve <id> <classification> <reason>`, `/palisade cancel <id> <reason>`: the
 * API's own actions (apps/api/incidents/), as the person people.yaml knows by this Slack user,
 * who must hold the responder role there. Answers a sentence for the caller only.
 */
export async function slackIncidentAction(db: DataSource, redactor: Redactor, closer: IncidentCloser, person: Person, verb: SlackIncidentAction, rest: string): Promise<string> {
  if (!person.roles.some((r) => hasRole(r, 'responder'))) {
    return `\`/palisade ${verb}\` needs the responder role in runbooks/people.yaml, and ${person.id} has ${person.roles.join(', ') || 'none'}. Ask an admin to add it there.`;
  }
  const [id = '', ...words] = rest.trim().split(/\s+/);
  const text = rest.trim().slice(id.length).trim();
  const usage = `Usage: \`/palisade ${verb} <incident-id> ${ARGUMENTS[verb]}\``;
  if (!UUID.test(id)) return `\`${escapeMrkdwn(id || ' ')}\` is not an incident id (a UUID, as in the incident's link). ${usage}`;
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
        if (!said || words.length === 0) return usage;
        await addNote(db, id, { text: said, author: person.id });
        return 'Your note is on the timeline.';
      }
      case 'resolve': {
        const [classification = '', ...reason] = words;
        if (!classification) return usage;
        if (!isClassification(classification)) return `\`${escapeMrkdwn(classification)}\` is not a classification: ${CLASSIFICATION_EXPECTED}. ${usage}`;
        if (reason.length === 0) return usage;
        await closer.resolve(id, { classification, reason: text.slice(classification.length).trim() }, person.id);
        return `Resolving as ${classification}: the playbook records it and closes the incident.`;
      }
      case 'cancel': {
        if (!text) return usage;
        const c = await closer.cancel(id, { reason: text }, person.id);
        return c.status === 'cancelling' ? 'Cancelling as false_positive: the playbook stops, undoes what it changed and closes the incident.' : `Cancelling: ${c.message}`;
      }
    }
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const body = err.getResponse() as { message: string; hint: string };
    return `${body.message} ${body.hint}`;
  }
}

function isClassification(word: string): word is Classification {
  return (CLASSIFICATIONS as readonly string[]).includes(word);
}
