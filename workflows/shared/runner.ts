import { CancellationScope, condition, continueAsNew, isCancellation } from '@temporalio/workflow';
import { AUTOMATION } from '../../lib/domain/classification';
import { ProviderErrorType } from '../../lib/providers/capabilities';
import { approval } from './approval-gate';
import type { Playbook } from './define';
import { IncidentRun, UNDO_GATE, type StopRequest } from './incident-run';
import type { PlaybookInput } from './input';
import { PATCH } from './patches';
import { installHandlers } from './run-handlers';
import { bestEffort, step, StepFailed } from './steps';

export interface PlaybookOutcome {
  incidentId: string;
  status: 'resolved' | 'cancelled';
  summary: string;
}

/**
 * Runs a playbook's body for one incident, and everything around it that every playbook
 * shares: opening the incident, its params, merged alerts, the responder's resolve or
 * cancel, a failed step (compensate, page, wait for a responder), continuing as new when
 * the history is long, closing, and the entity's next incident. The body returns the
 * closing summary.
 */
export async function runPlaybook(input: PlaybookInput, playbook: Playbook): Promise<PlaybookOutcome> {
  const run = new IncidentRun(input, { name: playbook.name, version: playbook.version });
  installHandlers(run);
  if (!run.resuming) {
    const closedAlready = await run.open({ firstAlert: playbook.readsFirstAlert });
    if (closedAlready) return handOver(run, { incidentId: input.incidentId, status: closedAlready, summary: `already ${closedAlready} before this run began: nothing done` });
  }

  const scope = new CancellationScope();
  run.onStop = () => scope.cancel();
  // A responder may have stopped it while it was opening.
  if (run.stopRequest) scope.cancel();
  let summary: string | undefined;
  try {
    summary = await scope.run(() => playbook.run(run, paramsOf(run, playbook)));
  } catch (err) {
    if (!(isCancellation(err) && run.stopRequest)) {
      // Anything but a failed step is a bug: let the workflow task fail so a fixed worker resumes it.
      if (!(err instanceof StepFailed)) throw err;
      // A continued run meets the failure its last run waited after: it is on record already.
      const known = run.resuming && run.resumeAt?.kind === 'responder' && run.resumeAt.failedStep === err.step;
      if (!known) {
        run.resumed();
        await failed(run, err);
      }
      await run.waitForResponder({ kind: 'responder', failedStep: err.step });
    }
  }

  let outcome: PlaybookOutcome;
  // A stop that arrived as the body finished still wins: the API told its sender it would.
  const stop = summary !== undefined && !run.stopRequest ? undefined : await settleStop(run);
  if (summary !== undefined && !stop) {
    outcome = { incidentId: input.incidentId, status: 'resolved', summary };
    run.resumed();
    await run.timeline.record('playbook.completed', `Playbook ${playbook.name} finished: ${summary}`, { data: { results: run.state.results } });
    const told = run.state.classification;
    await run.close('resolved', `Resolved by the playbook: ${summary}`, 'palisade', { classification: told?.classification ?? 'true_positive', reason: told?.reason ?? summary, by: AUTOMATION });
  } else if (stop!.kind === 'resolve') {
    const { actor, reason, classification } = stop!;
    outcome = { incidentId: input.incidentId, status: 'resolved', summary: reason };
    await run.close('resolved', `Resolved by ${actor}: ${reason}`, actor, classification ? { classification, reason, by: actor } : undefined);
  } else {
    const { actor, reason, classification } = stop!;
    run.resumed();
    await compensate(run, 'cancel', `cancelled by ${actor}`);
    outcome = { incidentId: input.incidentId, status: 'cancelled', summary: reason };
    await run.close('cancelled', `Cancelled by ${actor}: ${reason}`, actor, { classification: classification ?? 'false_positive', reason, by: actor });
  }

  return handOver(run, outcome);
}

/**
 * The run's params, parsed once by the playbook's schema: as a responder gave them, or as
 * the declaration derives them from the alert's entity. Params the schema refuses stop the
 * playbook before its first step, like a step that fails.
 */
function paramsOf<P>(run: IncidentRun, playbook: Playbook): P {
  const { input } = run;
  const raw = input.params ?? playbook.fromAlert?.(input.entity) ?? {};
  const parsed = playbook.params.safeParse(raw);
  if (parsed.success) return parsed.data as P;
  const problems = parsed.error.issues.slice(0, 5).map((i) => `${['params', ...i.path].join('.')}: ${i.message}`);
  throw new StepFailed('Read the parameters', ProviderErrorType.Invalid, 1, problems.join('; '));
}

/**
 * Alerts for the entity's next incident reached this run as it closed (same workflow id):
 * hand them to a new run for that incident rather than drop them.
 */
async function handOver(run: IncidentRun, outcome: PlaybookOutcome): Promise<PlaybookOutcome> {
  const next = run.merges.nextIncident();
  if (next) await continueAsNew({ ...next.start, initialBatches: next.batches });
  return outcome;
}

/**
 * The responder's stop, once it may take effect. Resolve keeps what was done. Cancel undoes
 * it: when that would undo containment (release an isolated host), another approver must
 * agree first, at the `undo-containment` gate with the playbook's rules (four-eyes against
 * the one who cancelled). Refused or not decided in time: nothing is undone, the timeline
 * says so, and the incident waits for the next resolve or cancel.
 */
async function settleStop(run: IncidentRun): Promise<StopRequest> {
  for (;;) {
    const stop = run.stopRequest!;
    if (stop.kind === 'resolve' || run.undoSteps.length === 0 || !run.changed(PATCH.undoNeedsApproval)) return stop;
    run.resumed();
    const steps = run.undoSteps.join(', ');
    const gateId = run.nextUndoGateId();
    if (await askToUndo(run, stop, gateId, steps)) return stop;
    // A resolve took the place of the cancel while it waited: keep the containment.
    if (run.stopRequest!.kind === 'resolve') continue;
    await run.timeline.record('note', `${stop.actor}'s cancel was not approved: nothing undone (${steps}). Resolve the incident to keep it so, or cancel again to ask again.`, {
      actor: stop.actor,
      data: { undo: 'refused', gateId, steps: run.undoSteps },
    });
    run.stopRequest = undefined;
    run.state.phase = 'stopped';
    await condition(() => run.stopRequest !== undefined);
  }
}

/** Asks an approver to undo containment; false when refused, expired, or superseded by a resolve. */
async function askToUndo(run: IncidentRun, stop: StopRequest, gateId: string, steps: string): Promise<boolean> {
  run.undoAsks += 1;
  run.awaitingUndo = true;
  const scope = new CancellationScope();
  run.onStop = () => scope.cancel();
  try {
    const outcome = await scope.run(() =>
      approval(run, {
        gate: UNDO_GATE,
        id: gateId,
        step: `Undo containment: ${steps}`,
        summary: `${stop.actor} asks to cancel the incident (${stop.reason}) and undo: ${steps}.`,
        requestedBy: stop.actor,
      }),
    );
    return outcome.approved;
  } catch (err) {
    if (isCancellation(err)) return false;
    throw err;
  } finally {
    run.awaitingUndo = false;
    run.onStop = undefined;
  }
}

/** A step gave up: undo what must not stay half done, page on-call, and wait for a responder. */
async function failed(run: IncidentRun, err: StepFailed): Promise<void> {
  await compensate(run, 'failure', `${err.step} failed`);
  await run.timeline.record('playbook.failed', `The playbook stopped at "${err.step}": ${err.message}. A responder must resolve or cancel the incident.`, {
    data: { step: err.step, errorType: err.errorType, attempts: err.attempts },
  });
  const page = run.policies!.fallback.page;
  await bestEffort(run, `Page ${page}: playbook failed`, (p, call) =>
    p.notify(call, { to: page, kind: 'page', subject: `Playbook ${run.playbook.name} failed at ${err.step}`, body: `Incident ${run.input.incidentId}: ${run.input.title}\n${err.message}` }),
  );
  run.state.phase = 'failed';
}

/** Runs the compensations that apply, newest first, where cancellation cannot interrupt them. */
async function compensate(run: IncidentRun, reason: 'failure' | 'cancel', why: string): Promise<void> {
  // One that ran in an earlier run of this incident (it continued as new since) is done.
  const due = run.compensations.filter((c) => (c.when === 'any' || reason === 'cancel') && !run.steps[c.name]?.ok).reverse();
  run.compensations.splice(0, run.compensations.length, ...run.compensations.filter((c) => !due.includes(c)));
  if (due.length === 0) return;
  await CancellationScope.nonCancellable(async () => {
    for (const c of due) {
      await run.timeline.record('compensation.started', `Undoing (${why}): ${c.name}`, { data: { compensation: c.name, reason } });
      try {
        await step(run, c.name, c.action);
      } catch (err) {
        if (!(err instanceof StepFailed)) throw err;
        await run.timeline.record('compensation.failed', `Could not undo "${c.name}": ${err.message}. Do it by hand.`, { data: { compensation: c.name, error: err.message } });
      }
    }
  });
}
