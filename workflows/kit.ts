/**
 * The playbook kit: everything a playbook's folder imports to declare itself and write its
 * body (`import { definePlaybook, step, approval } from '../kit'` in a shipped playbook,
 * `from '@palisade/kit'` in a team's folder). See docs/playbooks.md.
 *
 * `step`, `bestEffort`, `compensate` and `approval` take only the step names and gates the
 * playbook declares: a misspelled one fails the type check.
 */
import { approval as askApproval, type ApprovalOutcome, type ApprovalRequest } from './shared/approval-gate';
import type { PlaybookRun } from './shared/define';
import { bestEffort as runBestEffort, step as runStep, type StepAction, type StepOptions } from './shared/steps';

export { definePlaybook, type Playbook, type PlaybookDeclaration, type PlaybookRun, type StepName } from './shared/define';
export type { ApprovalOutcome, ApprovalRequest } from './shared/approval-gate';
export type { PlaybookInput } from './shared/input';
export { RETRY } from './shared/retry';
export { StepFailed, type StepAction, type StepOptions } from './shared/steps';

/** The step names a run's playbook declares. */
export type StepsOf<R extends PlaybookRun> = NonNullable<R['declared']>['steps'];
/** The gates a run's playbook declares. */
export type GatesOf<R extends PlaybookRun> = NonNullable<R['declared']>['gates'];

/**
 * One step: a provider call with its timeout and retries, each attempt on the timeline,
 * idempotent per incident and step name (a retried or replayed call is applied once).
 */
export function step<R extends PlaybookRun, T>(run: R, name: StepsOf<R>, action: StepAction<T>, opts?: StepOptions): Promise<T> {
  return runStep(run, name, action, opts);
}

/** A step whose failure must not stop the playbook (a notification): its failure is on the timeline, and it returns undefined. */
export function bestEffort<R extends PlaybookRun, T>(run: R, name: StepsOf<R>, action: StepAction<T>): Promise<T | undefined> {
  return runBestEffort(run, name, action);
}

/**
 * Registers how to undo a change just made, should the playbook stop before it finishes:
 * on `cancel` only (it undoes containment: another approver must agree first), or on `any`
 * stop, a failed step included. Register it before the change, so a stop during the change
 * still undoes it.
 */
export function compensate<R extends PlaybookRun>(run: R, name: StepsOf<R>, action: StepAction<unknown>, when: 'cancel' | 'any' = 'any'): void {
  run.compensate(name, action, when);
}

/**
 * An approval gate: waits for the approvers the gate's policy names (runbooks/approvals.yaml),
 * escalates when nobody decides, then applies the policy's fallback.
 */
export function approval<R extends PlaybookRun>(run: R, request: ApprovalRequest & { gate: GatesOf<R> }): Promise<ApprovalOutcome> {
  return askApproval(run, request);
}
