import { CancellationScope, condition, continueAsNew, isCancellation } from '@temporalio/workflow';
import { IncidentRun, type PlaybookDefinition } from './incident-run';
import type { PlaybookInput } from './input';
import { bestEffort, step, StepFailed } from './steps';

export interface PlaybookOutcome {
  incidentId: string;
  status: 'resolved' | 'cancelled';
  summary: string;
}

/**
 * Runs a playbook's body for one incident, and everything around it that every playbook
 * shares: opening the incident, merged alerts, the responder's resolve or cancel, a failed
 * step (compensate, page, wait for a responder), closing, and the entity's next incident.
 * The body returns the closing summary.
 */
export async function runPlaybook(input: PlaybookInput, playbook: PlaybookDefinition, body: (run: IncidentRun) => Promise<string>): Promise<PlaybookOutcome> {
  const run = new IncidentRun(input, playbook);
  run.installHandlers();
  await run.open();

  const scope = new CancellationScope();
  run.onStop = () => scope.cancel();
  // A responder may have stopped it while it was opening.
  if (run.stopRequest) scope.cancel();
  let summary: string | undefined;
  try {
    summary = await scope.run(() => body(run));
  } catch (err) {
    if (!(isCancellation(err) && run.stopRequest)) {
      // Anything but a failed step is a bug: let the workflow task fail so a fixed worker resumes it.
      if (!(err instanceof StepFailed)) throw err;
      await failed(run, err);
      await condition(() => run.stopRequest !== undefined);
    }
  }

  let outcome: PlaybookOutcome;
  // A stop that arrived as the body finished still wins: the API told its sender it would.
  if (summary !== undefined && !run.stopRequest) {
    outcome = { incidentId: input.incidentId, status: 'resolved', summary };
    await run.timeline.record('playbook.completed', `Playbook ${playbook.name} finished: ${summary}`, { data: { results: run.state.results } });
    await run.close('resolved', `Resolved by the playbook: ${summary}`, 'palisade');
  } else if (run.stopRequest!.kind === 'resolve') {
    const { actor, reason } = run.stopRequest!;
    outcome = { incidentId: input.incidentId, status: 'resolved', summary: reason };
    await run.close('resolved', `Resolved by ${actor}: ${reason}`, actor);
  } else {
    const { actor, reason } = run.stopRequest!;
    await compensate(run, 'cancel', `cancelled by ${actor}`);
    outcome = { incidentId: input.incidentId, status: 'cancelled', summary: reason };
    await run.close('cancelled', `Cancelled by ${actor}: ${reason}`, actor);
  }

  // Alerts for the entity's next incident reached this run as it closed (same workflow id):
  // hand them to a new run for that incident rather than drop them.
  const next = run.nextIncident();
  if (next) await continueAsNew({ ...next.start, initialBatches: next.batches });
  return outcome;
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
  const due = run.compensations.filter((c) => c.when === 'any' || reason === 'cancel').reverse();
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
