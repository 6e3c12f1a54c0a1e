import type { Severity } from '../../../lib/domain/incident';

/** The label that finds an incident's ticket again (labels hold no spaces). */
export function incidentLabel(incidentId: string): string {
  return `palisade-incident-${incidentId}`;
}

export interface TicketSpec {
  incidentId: string;
  /** The project, as runbooks/paging.yaml names it (a Jira project key). */
  project: string;
  summary: string;
  severity: Severity;
  /** Paragraphs of the description. */
  lines: string[];
  /** The incident's page in Palisade. */
  link: string;
}

export interface TicketRef {
  id: string;
  key: string;
  /** The ticket as a person opens it. */
  url: string;
}

/**
 * Tickets for incidents (Jira). `open` finds the incident's ticket before it creates one, so a
 * retry after a create whose answer was lost never opens a second. Throws the typed provider errors.
 */
export interface TicketingProvider {
  open(spec: TicketSpec): Promise<{ ticket: TicketRef; created: boolean }>;
  comment(ticket: TicketRef, text: string, link?: string): Promise<void>;
  /** Comments and moves the ticket to a done status; a ticket already done is left as it is. */
  close(ticket: TicketRef, text: string, link?: string): Promise<void>;
}
