import { DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { checkApprovalPolicies } from '../../../lib/approvals/policy-check';
import { loadApprovalPolicies } from '../../../lib/approvals/policy-file';
import type { PalisadeConfig } from '../../../lib/config/env';
import { describeError, PalisadeError } from '../../../lib/errors';
import { loadRouting } from '../../../lib/intake/routing';
import type { Catalogue } from '../../../lib/playbooks/catalogue';
import { findPlaybookFolders } from '../../../lib/playbooks/folders';
import { bundleAllPlaybooks } from '../../playbooks/bundle';
import { loadPlaybooks, SHIPPED_PLAYBOOKS } from '../../playbooks/load';
import { describeTypeProblem, typeCheckFolder } from '../../playbooks/typecheck';
import { CliError, EXIT } from './exit-codes';
import { HISTORY_DIR } from './history-dir';
import { note, printJson, say } from './output';
import { readHistories, replayHistories, type RecordedHistory } from './replay-check';

/** One check of `palisade playbook check`, and what it found. */
export interface CheckResult {
  check: 'declarations' | 'types' | 'approvals' | 'routing' | 'histories';
  ok: boolean;
  /** What was checked, e.g. "3 playbooks: a, b, c". */
  detail: string;
  /** Each problem, starting with where it is (folder, or file:line). */
  problems: string[];
}

/**
 * `palisade playbook check [DIR]`: everything `npm start` checks about a playbook folder,
 * without starting anything: the declarations load (loadPlaybooks), the folder type-checks,
 * approvals.yaml and the routing file name only playbooks and gates that exist, the workflow
 * code bundles, and the folder's recorded histories (`<playbook>/histories/*.json`) replay.
 * Exit 0: all good; 9: problems (each printed with its file and line); 1: cannot run.
 */
export async function playbookCheck(config: PalisadeConfig, dirArg: string | undefined, opts: { json?: boolean }): Promise<CheckResult[]> {
  const dirs = dirArg ? [path.resolve(dirArg)] : config.playbooks.teamDirs;
  if (dirs.length === 0) {
    throw new CliError(EXIT.usage, 'no_playbooks_dir', 'Which playbooks? No folder was given and PALISADE_PLAYBOOKS_DIR is not set.', 'Pass the folder of your playbooks: `palisade playbook check <dir>`.');
  }
  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(EXIT.usage, 'not_a_folder', `${dir} is not a folder.`, 'Pass the folder that holds your playbook folders.');
  }
  const team = dirs.filter((d) => d !== SHIPPED_PLAYBOOKS);
  const teamDirs = [...new Set([...config.playbooks.teamDirs, ...team])];
  const results: CheckResult[] = [];
  const report = (r: CheckResult) => {
    results.push(r);
    if (opts.json) return;
    say(`${r.ok ? '✓' : '✗'} ${r.check}: ${r.detail}`);
    for (const p of r.problems) say(`    ${p}`);
  };

  let catalogue: Catalogue | undefined;
  try {
    catalogue = (await loadPlaybooks(teamDirs)).catalogue;
    const mine = catalogue.entries.filter((e) => dirs.some((d) => e.source.dir === d || e.source.dir.startsWith(d + path.sep)));
    report({ check: 'declarations', ok: true, detail: `${mine.length} playbook(s) in ${dirs.join(', ')}: ${mine.map((e) => e.name).join(', ')}`, problems: [] });
  } catch (err) {
    report({ check: 'declarations', ok: false, detail: 'a playbook does not load', problems: [problemOf(err)] });
  }

  const typeProblems: string[] = [];
  let typeChecked = true;
  for (const dir of team) {
    const found = typeCheckFolder(dir);
    if (found === undefined) typeChecked = false;
    else typeProblems.push(...found.map(describeTypeProblem));
  }
  if (team.length > 0) {
    report({
      check: 'types',
      ok: typeProblems.length === 0,
      detail: !typeChecked ? 'skipped: TypeScript is not installed here' : typeProblems.length === 0 ? `${team.join(', ')} type-check` : `${typeProblems.length} type error(s)`,
      problems: typeProblems,
    });
  }

  if (catalogue) {
    report(fileCheck('approvals', config.playbooks.approvalsFile, () => {
      loadApprovalPolicies(config.playbooks.approvalsFile);
      checkApprovalPolicies(config.playbooks.approvalsFile, catalogue);
    }));
    report(fileCheck('routing', config.intake.routingFile, () => loadRouting(config.intake.routingFile, catalogue)));
    report(await historiesCheck(dirs, teamDirs));
  }

  const failed = results.filter((r) => !r.ok);
  if (opts.json) printJson({ ok: failed.length === 0, checks: results });
  else if (failed.length === 0) say('All checks pass.');
  else note(`palisade: ${failed.length} check(s) failed: ${failed.map((r) => r.check).join(', ')}.`);
  if (failed.length > 0) process.exitCode = EXIT.playbookCheckFailed;
  return results;
}

function fileCheck(check: 'approvals' | 'routing', file: string, run: () => void): CheckResult {
  try {
    run();
    return { check, ok: true, detail: `${file} names only playbooks${check === 'approvals' ? ' and gates' : ''} that exist`, problems: [] };
  } catch (err) {
    return { check, ok: false, detail: file, problems: [problemOf(err)] };
  }
}

/** Bundles the workflow code as the worker does, then replays each folder's recorded histories on it. */
async function historiesCheck(dirs: string[], teamDirs: string[]): Promise<CheckResult> {
  const histories: RecordedHistory[] = [];
  const folders = dirs.flatMap((d) => (d === SHIPPED_PLAYBOOKS ? [HISTORY_DIR] : findPlaybookFolders(SHIPPED_PLAYBOOKS, [d]).filter((f) => f.source.kind === 'team').map((f) => path.join(f.dir, 'histories'))));
  for (const folder of folders.filter((f) => existsSync(f))) {
    try {
      histories.push(...readHistories(folder).map((h) => ({ ...h, file: path.join(folder, h.file) })));
    } catch (err) {
      return { check: 'histories', ok: false, detail: folder, problems: [problemOf(err)] };
    }
  }
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  let bundle: WorkflowBundle;
  try {
    bundle = await bundleAllPlaybooks(teamDirs);
  } catch (err) {
    return { check: 'histories', ok: false, detail: 'the workflow code does not bundle (as the worker bundles it)', problems: [problemOf(err)] };
  }
  if (histories.length === 0) return { check: 'histories', ok: true, detail: 'the workflow code bundles; no recorded history to replay (a histories/ folder beside playbook.ts holds them)', problems: [] };
  const outcomes = await replayHistories(bundle, histories);
  const failed = outcomes.filter((o) => !o.ok);
  return {
    check: 'histories',
    ok: failed.length === 0,
    detail: failed.length === 0 ? `${outcomes.length} recorded history(ies) replay` : `${failed.length} of ${outcomes.length} no longer replay: put the change behind patched() (docs/playbooks.md)`,
    problems: failed.map((o) => `${o.file}: ${o.reason}`),
  };
}

function problemOf(err: unknown): string {
  return err instanceof PalisadeError ? `${err.message}\n      ${err.hint}` : describeError(err);
}
