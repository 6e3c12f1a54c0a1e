import { CLASSIFICATION_EXPECTED, CLASSIFICATIONS, type Classification } from '../../../lib/domain/classification';
import type { Person } from '../../../lib/people';
import { escapeMrkdwn } from '../../../lib/slack/templates';
import { hasRole } from '../auth/roles';
import { ApiError } from '../common/error.filter';
import { isUuid } from '../common/openapi/schemas';
import type { IncidentsService } from '../incidents/incidents.service';

/** The `/palisade` verbs that act on an incident (responder), beside `status` and `pending`. */
export const SLACK_INCIDENT_ACTIONS = ['ack', 'take', 'note', 'resolve', 'cancel'] as const;
export type SlackIncidentAction = (typeof SLACK_INCIDENT_ACTIONS)[number];

/** What each verb takes after the incident id (its usage line). */
const ARGUMENTS: Record<SlackIncidentAction, string> = { ack: '[note]', take: '[why]', note: '<text>', resolve: '<classification> <reason>', cancel: '<reason>' };

/** The API's own incident actions: Slack goes through the service HTTP uses (redaction, Temporal, closed incidents refused). */
export type IncidentActions = Pick<IncidentsService, 'acknowledge' | 'take' | 'note' | 'resolve' | 'cancel'>;

/**
 * `/palisade ack <id> [note]`, `/palisade take <id> [reason]`, `/palisade note <id> <text>`,
 * `/palisade resolve <id> <classification> <reason>`, `/palisade cancel <id> <reason>`: the
 * API's own actions (IncidentsService), as the person people.yaml knows by this Slack user
 * (resolved once, by SlackIdentity), who must hold the responder role there. Answers a
 * sentence for the caller only.
 */
export async function slackIncidentAction(incidents: IncidentActions, person: Person, verb: SlackIncidentAction, rest: string): Promise<string> {
  if (!person.roles.some((r) => hasRole(r, 'responder'))) {
    return `\`/palisade ${verb}\` needs the responder role in runbooks/people.yaml, and ${person.id} has ${person.roles.join(', ') || 'none'}. Ask an admin to add it there.`;
  }
  const [id = '', ...words] = rest.trim().split(/\s+/);
  const text = rest.trim().slice(id.length).trim();
  const usage = `Usage: \`/palisade ${verb} <incident-id> ${ARGUMENTS[verb]}\``;
  if (!isUuid(id)) return `\`${escapeMrkdwn(id || ' ')}\` is not an incident id (a UUID, as in the incident's link). ${usage}`;
  try {
    switch (verb) {
      case 'ack': {
        const a = await incidents.acknowledge(id, text ? { note: text } : {}, person.id);
        return a.acknowledgedBy === person.id ? `Acknowledged by you (${a.acknowledgedAt}).` : `Already acknowledged by ${a.acknowledgedBy} at ${a.acknowledgedAt}: nothing changed.`;
      }
      case 'take': {
        const a = await incidents.take(id, text ? { reason: text } : {}, person.id);
        return a.changed ? `It is yours now${a.previous ? ` (was ${a.previous})` : ''}.` : 'It already is yours.';
      }
      case 'note': {
        if (!text) return usage;
        await incidents.note(id, { text }, person.id);
        return 'Your note is on the timeline.';
      }
      case 'resolve': {
        const [classification = '', ...reason] = words;
        if (!classification) return usage;
        if (!isClassification(classification)) return `\`${escapeMrkdwn(classification)}\` is not a classification: ${CLASSIFICATION_EXPECTED}. ${usage}`;
        if (reason.length === 0) return usage;
        await incidents.resolve(id, { classification, reason: text.slice(classification.length).trim() }, person.id);
        return `Resolving as ${classification}: the playbook records it and closes the incident.`;
      }
      case 'cancel': {
        if (!text) return usage;
        const c = await incidents.cancel(id, { reason: text }, person.id);
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
