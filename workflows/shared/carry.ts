import type { GatePolicy, GateState } from '../../lib/approvals/gate';
import type { IncidentState } from './messages';

/** How a step ended, as a run hands it to the run that continues it. */
export type StepRecord = { ok: true; result?: unknown } | { ok: false; errorType: string; attempts: number; message: string };

/** Where the playbook waited when its run continued as new: the point its next run resumes at. */
export type ResumePoint =
  /** At an approval gate of its body. */
  | { kind: 'gate'; gateId: string }
  /** Waiting for a responder: triage and hand-reported incidents, and a playbook a step stopped. */
  | { kind: 'responder'; failedStep?: string };

/**
 * What a run hands to the run that continues it (continue-as-new), so the incident goes on
 * as if nothing happened: its state and gates (votes, deadlines, escalation tier, Slack
 * messages), how every step ended, the timeline's sequence, the last inbox row recorded, and
 * where it waited. The body runs again from the top, taking each step's carried outcome
 * instead of calling it and writing nothing, until it reaches that point (see IncidentRun's
 * `resuming`). Compensations and merge reactions are registered again on the way, as code.
 */
export interface Carried {
  state: IncidentState;
  timelineSequence: number;
  lastInboxId: number;
  /** Absent in triage runs from before one lifecycle (they carried only the three fields above). */
  steps?: Record<string, StepRecord>;
  gates?: GateState[];
  resumeAt?: ResumePoint;
  undoAsks?: number;
  /** The approval policies the incident started with (a running incident keeps them). */
  policies?: { fallback: GatePolicy; gates: Record<string, GatePolicy>; slack?: boolean };
  /** How many runs came before this one. */
  continued?: number;
}
