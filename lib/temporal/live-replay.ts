import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { WorkflowBundle } from '@temporalio/worker';
import { replayHistories, type RecordedHistory, type ReplayOutcome } from './replay';

const { VersioningBehavior, WorkflowExecutionStatus } = temporal.api.enums.v1;

/** An open incident and the run of its playbook. */
export interface OpenRun {
  incidentId: string;
  workflowId: string;
}

export interface LiveReplayOutcome extends ReplayOutcome {
  incidentId: string;
}

export interface LiveReplayCheck {
  ok: boolean;
  /** Each open AUTO_UPGRADE run replayed on the candidate's code. */
  replayed: LiveReplayOutcome[];
  /** Runs the candidate will never take, and why: pinned to their version, or no longer running. */
  skipped: { incidentId: string; workflowId: string; why: string }[];
}

/**
 * Replays the histories of the live engine's open runs, as they are now, on a candidate's
 * workflow code: what its workers would do when they take each run's next task. A PINNED run
 * stays on the version it started on, so it is left out; so is a run that has ended since.
 */
export async function liveReplayCheck(client: Client, runs: OpenRun[], bundle: WorkflowBundle): Promise<LiveReplayCheck> {
  const histories: (RecordedHistory & { incidentId: string })[] = [];
  const skipped: LiveReplayCheck['skipped'] = [];
  for (const run of runs) {
    let described;
    try {
      described = await client.workflow.getHandle(run.workflowId).describe();
    } catch (err) {
      // Only "no such workflow" means not started yet; Temporal unreachable or refusing fails the check.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      skipped.push({ ...run, why: 'no run in Temporal (not started yet)' });
      continue;
    }
    const info = described.raw.workflowExecutionInfo;
    if (info?.status !== WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
      skipped.push({ ...run, why: 'its run has ended' });
      continue;
    }
    if (info.versioningInfo?.behavior === VersioningBehavior.VERSIONING_BEHAVIOR_PINNED) {
      skipped.push({ ...run, why: `pinned to ${info.versioningInfo.deploymentVersion?.buildId ?? 'its version'}: it finishes there` });
      continue;
    }
    const history = await client.workflow.getHandle(run.workflowId, info.execution?.runId ?? undefined).fetchHistory();
    histories.push({ incidentId: run.incidentId, file: `incident ${run.incidentId}`, workflowId: run.workflowId, workflowType: info.type?.name ?? '?', events: history.events?.length ?? 0, history });
  }
  const outcomes = histories.length > 0 ? await replayHistories(bundle, histories) : [];
  const replayed = outcomes.map((o, i) => ({ ...o, incidentId: histories[i].incidentId }));
  return { ok: replayed.every((o) => o.ok), replayed, skipped };
}
