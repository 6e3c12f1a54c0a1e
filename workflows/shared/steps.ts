import { TimeoutType, type Duration } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, isCancellation, sleep, TimeoutFailure } from '@temporalio/workflow';
import type { CarriedCall, ProviderActivities } from '../../activities/providers/provider.activities';
import { durationMs } from '../../lib/duration';
import { NON_RETRYABLE_PROVIDER_ERRORS, ProviderErrorType, type ProviderCall } from '../../lib/providers/capabilities';
import { providerActivities } from './activities';
import type { IncidentRun } from './incident-run';
import { RETRY, type StepRetry } from './retry';
import type { TimelineRecorder } from './timeline';

export interface StepOptions {
  /** How long one attempt may take (default 30s). */
  timeout?: Duration;
  /** How the step is retried (default RETRY.provider). */
  retry?: StepRetry;
}

/** A step gave up: its retries are spent or its error cannot be retried. The playbook's compensations run next. */
export class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly errorType: string,
    readonly attempts: number,
    message: string,
  ) {
    super(message);
    this.name = 'StepFailed';
  }
}

export type StepAction<T> = (providers: ProviderActivities, call: ProviderCall) => Promise<T>;

/**
 * Runs one playbook step: an activity with its timeout and retry policy, idempotent on the
 * incident and the step's name. Start, success, each retry and failure land on the timeline.
 */
export async function step<T>(run: IncidentRun, name: string, action: StepAction<T>, opts: StepOptions = {}): Promise<T> {
  if (run.resuming) {
    // A continued run replaying its body: the step ran in an earlier run; its outcome stands.
    const done = run.steps[name];
    if (done?.ok) return done.result as T;
    if (done) throw new StepFailed(name, done.errorType, done.attempts, done.message);
    // Not in the record: the body took another path than before. Act from here.
    run.resumed();
  }
  try {
    const result = await runStep(run, name, action, opts);
    run.steps[name] = { ok: true, result };
    return result;
  } catch (err) {
    if (err instanceof StepFailed) run.steps[name] = { ok: false, errorType: err.errorType, attempts: err.attempts, message: err.message };
    throw err;
  }
}

async function runStep<T>(run: IncidentRun, name: string, action: StepAction<T>, opts: StepOptions): Promise<T> {
  const retry = opts.retry ?? RETRY.provider;
  const providers = providerActivities(opts.timeout ?? '30s');
  const call: ProviderCall = { idempotencyKey: run.idempotencyKey(name), incidentId: run.input.incidentId };
  run.state.currentStep = name;
  // Held: the step's call writes it (and its success goes with the run's next write).
  await run.timeline.record('step.started', name, { data: { step: name }, hold: true });
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await action(run.timeline.writes === 'held' ? carrying(providers, run.timeline) : providers, call);
      run.state.results![name] = result;
      await run.timeline.record('step.succeeded', name, { data: { step: name, attempt, result }, hold: true });
      return result;
    } catch (err) {
      if (isCancellation(err)) throw err;
      const failure = describeFailure(err);
      if (!failure.retryable || attempt >= retry.maximumAttempts) {
        await run.timeline.record('step.failed', `${name} failed after ${attempt} attempt(s): ${failure.message}`, {
          data: { step: name, attempt, errorType: failure.type, error: failure.message },
        });
        throw new StepFailed(name, failure.type, attempt, failure.message);
      }
      const backoff = Math.min(durationMs(retry.maximumInterval), durationMs(retry.initialInterval) * retry.backoffCoefficient ** (attempt - 1));
      const wait = Math.max(backoff, failure.retryAfterMs ?? 0);
      await run.timeline.record('step.retrying', `${name}: attempt ${attempt} failed (${failure.message}); retrying in ${Math.round(wait / 1000)}s`, {
        data: { step: name, attempt, errorType: failure.type, error: failure.message, retryInMs: wait },
      });
      await sleep(wait);
    }
  }
}

/**
 * The provider activities as a step's action calls them, each call carrying the run's held
 * timeline events (its `step.started` among them) to write ahead of the vendor call; once a
 * call completes, what it carried is written.
 */
function carrying(providers: ProviderActivities, timeline: TimelineRecorder): ProviderActivities {
  return new Proxy(providers, {
    get(target, operation: string) {
      const call = target[operation as keyof ProviderActivities] as (call: CarriedCall, ...args: unknown[]) => Promise<unknown>;
      return async (first: ProviderCall, ...args: unknown[]) => {
        const events = timeline.carry();
        const result = await call(events ? { ...first, timeline: events } : first, ...args);
        if (events) timeline.written(events);
        return result;
      };
    },
  });
}

/** Runs a step whose failure must not stop the playbook (a notification): the failure is on the timeline, and it returns undefined. */
export async function bestEffort<T>(run: IncidentRun, name: string, action: StepAction<T>): Promise<T | undefined> {
  try {
    return await step(run, name, action, { retry: RETRY.bestEffort });
  } catch (err) {
    if (err instanceof StepFailed) return undefined;
    throw err;
  }
}

interface FailureDescription {
  type: string;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
}

function describeFailure(err: unknown): FailureDescription {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const type = cause.type ?? 'Error';
    const details = cause.details?.[0] as { retryAfterMs?: number } | undefined;
    return { type, message: cause.message, retryable: !cause.nonRetryable && !NON_RETRYABLE_PROVIDER_ERRORS.includes(type), retryAfterMs: details?.retryAfterMs };
  }
  if (cause instanceof TimeoutFailure) {
    const message =
      cause.timeoutType === TimeoutType.HEARTBEAT
        ? 'the worker running the call stopped answering (it crashed or lost Temporal)'
        : `no answer within the step's timeout (${cause.timeoutType ?? 'unknown'})`;
    return { type: 'Timeout', message, retryable: true };
  }
  return { type: ProviderErrorType.Unavailable, message: cause instanceof Error ? cause.message : String(cause), retryable: true };
}
