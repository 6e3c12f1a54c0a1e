import type { SearchAttributePair } from '@temporalio/common';
import { SEARCH_ATTRIBUTE } from './names';

/** What a playbook run's start tells Temporal's visibility store (the door, a responder's start, the history studio alike). */
export interface RunAnnouncement {
  incidentId: string;
  playbook: string;
  playbookVersion: string;
  severity: string;
  entityKey: string;
  /** The alert sources of the batch that starts it; `['manual']` for a responder's start. */
  sources: string[];
}

/**
 * The memo and search attributes a run starts with. A run begun with EVERY_CHANGE
 * (workflows/shared/patches.ts) does not upsert them again as it opens unless they differ (its
 * build, once Worker Versioning runs it), so each upsert the server would rewrite the run's
 * visibility record for is saved.
 */
export function runStartOptions(a: RunAnnouncement): { memo: Record<string, unknown>; typedSearchAttributes: SearchAttributePair[] } {
  return {
    memo: { incidentId: a.incidentId, playbook: a.playbook, playbookVersion: a.playbookVersion },
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTE.playbook, value: a.playbook },
      { key: SEARCH_ATTRIBUTE.playbookVersion, value: a.playbookVersion },
      { key: SEARCH_ATTRIBUTE.severity, value: a.severity },
      { key: SEARCH_ATTRIBUTE.entity, value: a.entityKey },
      { key: SEARCH_ATTRIBUTE.source, value: a.sources },
    ],
  };
}
