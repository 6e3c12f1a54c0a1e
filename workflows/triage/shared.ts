// What callers of the triage playbook need: its input and the state it carries across runs.
import type { AlertEntity, SourceName } from '../../lib/intake/alert';
import type { Severity } from '../../lib/domain/incident';
import type { AlertBatch, IncidentState } from '../shared/messages';

/** What the dispatcher sends with each batch: enough to start the incident's run if need be. */
export interface TriageBatch extends AlertBatch {
  start: TriageInput;
}

export interface TriageInput {
  incidentId: string;
  playbook: string;
  playbookVersion: string;
  entityKey: string;
  entity: AlertEntity;
  title: string;
  severity: Severity;
  source: SourceName;
  detectedAt: string;
  /**
   * The incident's last timeline sequence when this run starts: 0 for a new incident; more
   * when a resolved incident is reopened, so the new run continues its timeline.
   */
  timelineSequence?: number;
  /** Continue as new past this many history events (default 10,000; drills and tests set less). */
  historyLimit?: number;
  /** Batches for this incident that reached the previous run as it was closing. */
  initialBatches?: AlertBatch[];
  /** Set when the run continues as new: what the previous run had gathered. */
  carried?: { state: IncidentState; timelineSequence: number; lastInboxId: number };
}
