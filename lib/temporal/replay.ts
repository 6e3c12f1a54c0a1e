import type { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundle } from '@temporalio/worker';

export interface RecordedHistory {
  /** Where it came from: a file name, or the incident whose open run it is. */
  file: string;
  workflowId: string;
  workflowType: string;
  events: number;
  history: temporal.api.history.v1.IHistory;
}

export interface ReplayOutcome {
  file: string;
  workflowType: string;
  workflowId: string;
  events: number;
  ok: boolean;
  /** Why it did not replay, in a sentence, e.g. `[TMPRL1100] Nondeterminism error: Activity type of scheduled event …`. */
  reason?: string;
  /** The replay's error in full, e.g. `DeterminismViolationError: Replay failed … Details: …`. */
  error?: string;
}

/** Replays recorded histories on a bundle, reporting each as it finishes (`replay check`, `playbook check`). */
export async function replayHistories(bundle: WorkflowBundle, histories: RecordedHistory[], each: (outcome: ReplayOutcome) => void = () => undefined): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  const results = Worker.runReplayHistories({ workflowBundle: bundle }, histories.map(({ workflowId, history }) => ({ workflowId, history })));
  for await (const result of results) {
    const h = histories[outcomes.length];
    const outcome: ReplayOutcome = {
      file: h.file,
      workflowType: h.workflowType,
      workflowId: h.workflowId,
      events: h.events,
      ok: !result.error,
      ...(result.error ? { reason: reasonOf(result.error), error: `${result.error.name}: ${result.error.message}` } : {}),
    };
    outcomes.push(outcome);
    each(outcome);
  }
  return outcomes;
}

/**
 * The sentence that says what no longer matches: the core's failure message inside a
 * DeterminismViolationError (`message: "[TMPRL1100] Nondeterminism error: …"`), else the error's own.
 */
export function reasonOf(error: Error): string {
  const core = /message: "((?:[^"\\]|\\.)*)"/.exec(error.message)?.[1];
  return core ? `${error.name}: ${core.replace(/\\"/g, '"')}` : `${error.name}: ${error.message}`;
}

