import type { Severity } from '../../../lib/domain/incident';

/** One event about an incident's page: open it, acknowledge it, resolve it. */
export interface PageEvent {
  action: 'trigger' | 'acknowledge' | 'resolve';
  /** The vendor's de-duplication key: the incident id, so every event about it lands on one page. */
  dedupKey: string;
  /** The service to page, as runbooks/paging.yaml names it (the vendor maps it to its own key). */
  service: string;
  /** trigger only */
  summary?: string;
  source?: string;
  severity?: Severity;
  /** The incident's page in Palisade. */
  link?: string;
  details?: Record<string, unknown>;
}

export interface PageReceipt {
  dedupKey: string;
  /** What the vendor said, for the timeline. */
  message: string;
}

/** Pages people (PagerDuty). Throws the typed provider errors (Throttled, Unavailable, Invalid, Denied). */
export interface PagingProvider {
  send(event: PageEvent): Promise<PageReceipt>;
}
