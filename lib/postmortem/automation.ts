import { between, iso, num, text, type PostmortemEventRow } from './events';

export type StepOutcome = 'succeeded' | 'failed' | 'skipped' | 'running';

/** One playbook step (an activity with its retries), from its `step.*` events. */
export interface PostmortemStep {
  name: string;
  outcome: StepOutcome;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  /** Attempts made (1 when it worked the first time). */
  attempts: number;
  retries: number;
  /** Why the last attempt failed (failed steps), or why it was skipped. */
  error: string | null;
  errorType: string | null;
  /** Every failed attempt's error, retries included, oldest first. */
  attemptErrors: string[];
  /** Run to undo an earlier change (a compensation). */
  compensation: boolean;
}

export interface PostmortemCompensation {
  name: string;
  /** `cancel` or `failure`: why the playbook undid it. */
  reason: string;
  startedAt: string;
  outcome: 'succeeded' | 'failed' | 'running';
  error: string | null;
}

export type PlaybookOutcome = 'completed' | 'failed' | 'stopped' | 'running';

/** What the automation did and what failed. */
export interface PostmortemAutomation {
  playbook: { outcome: PlaybookOutcome; at: string | null; summary: string | null; failedStep: string | null };
  steps: PostmortemStep[];
  failedSteps: PostmortemStep[];
  compensations: PostmortemCompensation[];
  counts: { steps: number; succeeded: number; failed: number; skipped: number; running: number; retries: number; compensations: number; compensationsFailed: number };
}

/** Steps, compensations and the playbook's own outcome, in timeline order. `closed`: the incident is resolved or cancelled. */
export function automationOf(events: PostmortemEventRow[], closed: boolean): PostmortemAutomation {
  const steps: PostmortemStep[] = [];
  const running = new Map<string, PostmortemStep>();
  const compensations: PostmortemCompensation[] = [];
  const undoing = new Map<string, PostmortemCompensation>();
  const playbook: PostmortemAutomation['playbook'] = { outcome: 'running', at: null, summary: null, failedStep: null };

  for (const e of events) {
    const at = iso(e.occurredAt)!;
    const name = text(e.data, 'step');
    const current = running.get(name);
    switch (e.type) {
      case 'step.started': {
        const step: PostmortemStep = { name, outcome: 'running', startedAt: at, endedAt: null, durationMs: null, attempts: 0, retries: 0, error: null, errorType: null, attemptErrors: [], compensation: undoing.has(name) };
        steps.push(step);
        running.set(name, step);
        break;
      }
      case 'step.retrying':
        if (!current) break;
        current.retries += 1;
        current.attempts = num(e.data, 'attempt') ?? current.retries;
        current.attemptErrors.push(text(e.data, 'error'));
        break;
      case 'step.succeeded':
      case 'step.failed': {
        if (!current) break;
        const failed = e.type === 'step.failed';
        end(current, failed ? 'failed' : 'succeeded', at, num(e.data, 'attempt') ?? current.retries + 1);
        if (failed) {
          current.error = text(e.data, 'error') || e.summary;
          current.errorType = text(e.data, 'errorType') || null;
          current.attemptErrors.push(current.error);
        }
        running.delete(name);
        const undo = undoing.get(name);
        if (undo && current.compensation) {
          undo.outcome = failed ? 'failed' : 'succeeded';
          if (failed) undo.error = current.error;
          undoing.delete(name);
        }
        break;
      }
      case 'step.skipped':
        steps.push({ name, outcome: 'skipped', startedAt: null, endedAt: at, durationMs: null, attempts: 0, retries: 0, error: e.summary, errorType: null, attemptErrors: [], compensation: false });
        break;
      case 'compensation.started': {
        const compensation: PostmortemCompensation = { name: text(e.data, 'compensation'), reason: text(e.data, 'reason'), startedAt: at, outcome: 'running', error: null };
        compensations.push(compensation);
        undoing.set(compensation.name, compensation);
        break;
      }
      case 'compensation.failed': {
        const failed = [...compensations].reverse().find((c) => c.name === text(e.data, 'compensation'));
        if (failed) {
          failed.outcome = 'failed';
          failed.error = text(e.data, 'error') || failed.error;
        }
        break;
      }
      case 'playbook.started':
        Object.assign(playbook, { outcome: 'running', at, summary: null, failedStep: null });
        break;
      case 'playbook.completed':
        Object.assign(playbook, { outcome: 'completed', at, summary: e.summary });
        break;
      case 'playbook.failed':
        Object.assign(playbook, { outcome: 'failed', at, summary: e.summary, failedStep: text(e.data, 'step') || null });
        break;
    }
  }
  // A responder resolved or cancelled it before the playbook finished (a failed one stays "failed").
  if (closed && playbook.outcome === 'running') playbook.outcome = 'stopped';

  const count = (outcome: StepOutcome) => steps.filter((s) => s.outcome === outcome).length;
  return {
    playbook,
    steps,
    failedSteps: steps.filter((s) => s.outcome === 'failed'),
    compensations,
    counts: {
      steps: steps.length,
      succeeded: count('succeeded'),
      failed: count('failed'),
      skipped: count('skipped'),
      running: count('running'),
      retries: steps.reduce((sum, s) => sum + s.retries, 0),
      compensations: compensations.length,
      compensationsFailed: compensations.filter((c) => c.outcome === 'failed').length,
    },
  };
}

function end(step: PostmortemStep, outcome: StepOutcome, at: string, attempts: number): void {
  step.outcome = outcome;
  step.endedAt = at;
  step.durationMs = between(step.startedAt, at);
  step.attempts = attempts;
}
