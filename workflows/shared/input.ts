// What every playbook run starts from, whether the door opened the incident or a responder did.
import type { Severity } from '../../lib/domain/incident';
import type { AlertEntity, SourceName } from '../../lib/intake/alert';
import type { Carried } from './carry';
import type { AlertBatch } from './messages';

export interface PlaybookInput {
  incidentId: string;
  playbook: string;
  playbookVersion: string;
  entityKey: string;
  entity: AlertEntity;
  title: string;
  severity: Severity;
  /** The webhook source that opened it, or `manual` when a responder started it. */
  source: SourceName | 'manual';
  detectedAt: string;
  /** Who asked for this run: the responder who started it by hand, else `palisade`. Four-eyes compares against it. */
  requestedBy?: string;
  /** The alert that opened the incident, when one did: playbooks read its details through an activity. */
  firstAlertId?: string;
  /** Playbook-specific input, validated by the playbook's schema when started by hand. */
  params?: Record<string, unknown>;
  /**
   * The incident's last timeline sequence when this run starts: 0 for a new incident; more
   * when a resolved incident is reopened, so the new run continues its timeline.
   */
  timelineSequence?: number;
  /** Continue as new past this many history events, at the next safe point (default HISTORY_LIMIT; tests set less). */
  historyLimit?: number;
  /** Batches for this incident that reached the previous run as it was closing. */
  initialBatches?: AlertBatch[];
  /** Set when the run continues as new: what the previous run had gathered, and where it waited. */
  carried?: Carried;
}

/** What the dispatcher sends with each batch: enough to start the incident's run if need be. */
export interface StartingBatch extends AlertBatch {
  start: PlaybookInput;
}
