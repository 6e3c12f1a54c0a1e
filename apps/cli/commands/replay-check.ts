import { DefaultLogger, Runtime } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describeError } from '../../../lib/errors';
import { bundleAllPlaybooks } from '../../playbooks/bundle';
import { CliError, EXIT } from './exit-codes';
import { historyFromJson } from './history-json';
import { replayHistories, type RecordedHistory } from '../../../lib/temporal/replay';
import { note, printJson, say, withSpinner } from './output';

export { reasonOf, replayHistories, type RecordedHistory, type ReplayOutcome } from '../../../lib/temporal/replay';

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
