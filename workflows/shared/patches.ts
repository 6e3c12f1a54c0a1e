/**
 * Changes to the runner's logic since histories were recorded, for `patched()`: a run
 * recorded before a change replays without it (test/histories/, `palisade replay check`).
 * Names are history: never rename or reuse one.
 *
 * Closed: EVERY_CHANGE below stands for exactly these, and a run begun with it takes them all
 * without asking each. A later change goes in LATER_PATCH and is asked with patched() itself.
 */
export const PATCH = {
  criticalRaisesOpenGates: 'critical-incident-raises-open-gates',
  /** A storm costs history: upsert the source search attribute only when a batch brings a new source. */
  sourcesUpsertedOnChange: 'sources-upserted-on-change',
  /** A run started by a signal that arrived after its incident closed ends without acting. */
  runChecksIncident: 'run-checks-its-incident',
  /** Closing hands the inbox rows the run never recorded back, to reopen the incident. */
  closeHandsBackLateAlerts: 'close-hands-back-late-alerts',
  /** An earlier incident's batch, sent late, is not taken for the entity's next incident. */
  staleBatchesIgnored: 'stale-batches-ignored',
  /** A run started by hand asks at the gates an alert's run passes on its own. */
  handStartedRunsAsk: 'hand-started-runs-ask',
  /** Undoing containment on a cancel needs an approver (four-eyes against the one who cancelled). */
  undoNeedsApproval: 'undo-needs-approval',
  /** Triage runs on the same runner as every playbook (resolve, cancel, continue-as-new alike). */
  oneLifecycle: 'one-lifecycle',
  /** An escalation tier with `page:` queues a page through the paging outbox when it starts. */
  escalationPages: 'escalation-pages',
  /**
   * Timeline and projection writes (and the policies read) are local activities: a step is
   * one workflow task and one activity, not three of each (issue 22).
   */
  localProjection: 'local-projection-writes',
  /**
   * Back to activities for the timeline and projection writes. A local activity writes from a
   * workflow task that may not commit (it fails and is retried when signals arrive meanwhile);
   * the retry can order the run's events otherwise, and an event then meets, under its
   * sequence's id, a different one the failed attempt wrote: a late alert's merge was lost
   * and the resolution written twice (triage-workflow.test.ts). Runs recorded with local
   * writes replay as they ran.
   */
  projectionActivitiesAgain: 'projection-activities-again',
  /**
   * The close records what the incident was (its classification, why, and who said so) on the
   * closing event and the projection: a person's on a resolve or cancel, `true_positive` by
   * `automation` when the playbook resolved it by itself.
   */
  closeClassifies: 'close-records-classification',
  /**
   * A playbook that starts acting marks the incident `responding`, not `acknowledged`:
   * acknowledging is a person's act (API, CLI, web, Slack, the pager), so time to acknowledge
   * measures people (issue 20). Runs recorded before it replay as they ran.
   */
  respondingNotAcknowledged: 'responding-not-acknowledged',
  /** A new incident is given to its owner by runbooks/assignment.yaml as it opens (issue 20). */
  assignmentOnOpen: 'assignment-on-open',
  /**
   * A step's start and success, the opening's entries and status changes are held and go with
   * the run's next write (a step's provider call carries them): a step is one activity and one
   * workflow task again, every write from a committed task (workflows/shared/timeline.ts, issue 22).
   */
  timelineHeld: 'timeline-held-for-next-write',
  /**
   * A run's status change (responding, contained) is held with its timeline entry and goes with
   * the run's next write, which moves the projection as it writes the entry: no activity and no
   * workflow task of its own (issue 22: a leaked key's revoke waited for one).
   */
  statusHeld: 'status-held-for-next-write',
  /**
   * A playbook that starts from the alert that opened its incident (`readsFirstAlert`) has it
   * read by the opening's activity, not by one of its own (issue 22: a leaked key's revoke
   * waited for it).
   */
  openingReadsAlert: 'opening-reads-first-alert',
  /**
   * The batch a run starts with is recorded as the run opens, held: its `alerts.merged` entry goes
   * with the run's first write, not in an activity of its own whose completion woke the run for
   * nothing (an extra workflow task, often on a leaked key's way to its revoke, issue 22).
   */
  openingBatchHeld: 'opening-batch-held',
  /**
   * A run records the alert batches that reached it before its close ahead of the resolution
   * (or cancellation), so the timeline ends with it; before, the close was written while the
   * merge loop still wrote a storm's queued batches, which then followed it.
   */
  closeAfterQueuedAlerts: 'close-after-queued-alerts',
} as const;

/** A change of the runner's logic that EVERY_CHANGE covers: asked through IncidentRun.changed(). */
export type Change = (typeof PATCH)[keyof typeof PATCH];

/**
 * Every change in PATCH at once. A run begun on a build that has them all records this one
 * marker as it starts, and takes each change without a marker of its own. Each patch marker
 * comes with an upsert of Temporal's `TemporalChangeVersion` search attribute (the SDK adds it,
 * listing every patch so far), which the server writes to its visibility store: seven of them
 * on a host's way to its first gate, most of a run's visibility writes (issue 22's burst).
 * Runs begun before it ask each change as they did. It also marks the runs that skip
 * announcing what their start already said (the same search attributes and memo: opening.ts,
 * merges.ts).
 */
export const EVERY_CHANGE = 'every-change-to-close-after-queued-alerts';

/**
 * Changes made after EVERY_CHANGE, asked with patched() itself: a run begun with EVERY_CHANGE
 * but on a build without one of these must still replay without it.
 */
export const LATER_PATCH = {} as const;
