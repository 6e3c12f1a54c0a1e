import { DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describeError } from '../../../lib/errors';
import { bundleAllPlaybooks } from '../../playbooks/bundle';
import { CliError, EXIT } from './exit-codes';
import { historyFromJson } from './history-json';
import { note, printJson, say, withSpinner } from './output';

export interface RecordedHistory {
  file: string;
  workflowId: string;
  workflowType: string;
  events: number;
  history: ReturnType<typeof historyFromJson>;
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

/**
 * `palisade replay check`: replays every recorded history (test/histories/, or --dir) on the
 * current workflow code, as `npm test` does, printing each as it finishes. Exit 6 when one no
 * longer replays: the change needs patched() (test/histories/README.md).
 */
export async function replayCheck(opts: { dir: string; json?: boolean; teamDirs?: string[] }): Promise<void> {
  const histories = readHistories(opts.dir);
  // Only the SDK's errors: the replay's own chatter would bury the results.
  // (The core also logs each failed workflow task as a warning: the failure is printed below.)
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  const bundle = await withSpinner('Bundling the playbooks…', !opts.json, () => bundleAllPlaybooks(opts.teamDirs));
  if (!opts.json) say(`Replaying ${histories.length} histories from ${opts.dir} on the current workflow code:`);

  const outcomes = await replayHistories(bundle, histories, (outcome) => {
    if (!opts.json) say(outcome.ok ? `  ✓ ${outcome.file}  ${outcome.workflowType}, ${outcome.events} events` : `  ✗ ${outcome.file}  ${outcome.workflowType}: ${outcome.reason}`);
  });

  const failed = outcomes.filter((o) => !o.ok);
  if (opts.json) printJson({ ok: failed.length === 0, histories: outcomes });
  else if (failed.length === 0) say(`All ${outcomes.length} histories replay.`);
  else note(`palisade: ${failed.length} of ${outcomes.length} histories no longer replay.\n  Put the change behind patched() (test/histories/README.md), or record the histories again if no run of the old code is still going.`);
  if (failed.length > 0) process.exitCode = EXIT.replayFailed;
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

export function readHistories(dir: string): RecordedHistory[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (err) {
    throw new CliError(EXIT.usage, 'no_histories', `Cannot read ${dir}: ${describeError(err)}.`, 'Run from the project folder, or pass --dir with exported histories (`palisade history export`).');
  }
  if (files.length === 0) throw new CliError(EXIT.usage, 'no_histories', `${dir} holds no .json history.`, 'Record some with `npm run histories:record` or `palisade history export <workflowId>`.');
  return files.map((file) => {
    let history: RecordedHistory['history'];
    try {
      history = historyFromJson(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
    } catch (err) {
      throw new CliError(EXIT.usage, 'unreadable_history', `${path.join(dir, file)} is not a workflow history: ${describeError(err)}.`, 'Histories are the JSON `palisade history export` (or `temporal workflow show --output json`) writes.');
    }
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    // Servers before 1.27 did not record the workflow id: the file name stands in (as in test/replay).
    return { file, history, workflowId: started?.workflowId || file, workflowType: started?.workflowType?.name ?? '?', events: history.events?.length ?? 0 };
  });
}
