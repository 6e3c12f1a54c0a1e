import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CliSettings } from '../../../lib/config/cli';
import { describeError, PalisadeError } from '../../../lib/errors';
import { runGameday } from '../../../lib/gamedays/runner';
import { GAMEDAYS_DIR, listScenarios, loadScenario, resolveScenario } from '../../../lib/gamedays/scenario';
import { renderScorecard, type Scorecard } from '../../../lib/gamedays/scorecard';
import { secretFor } from './alert-send';
import { ApiClient } from './api-client';
import { CliError, EXIT } from './exit-codes';
import { note, printJson, say } from './output';


export interface GamedayRunOptions {
  output: string;
  json?: boolean;
}

/**
 * `palisade gameday run <scenario>`: runs the game day against the API the global options
 * name (its token must be an admin's), one line per event as it happens, then writes the
 * scorecard (md + json). Exits 7 when an SLO failed.
 */
export async function gamedayRun(client: ApiClient, settings: CliSettings, scenarioArg: string, opts: GamedayRunOptions): Promise<void> {
  const file = resolveScenario(scenarioArg);
  const scenario = loadScenario(file);
  // With --json, stdout carries the scorecard only: progress goes to stderr.
  const progress = opts.json ? note : say;
  progress(`game day ${scenario.name} (${file}) against ${client.baseUrl}`);
  const scorecard = await runGameday(scenario, {
    api: client,
    as: (token) => new ApiClient({ api: client.baseUrl, token }, settings),
    secretFor: (source) => secretFor(source, settings),
    onEvent: (e) => progress(`[${(e.atMs / 1000).toFixed(1).padStart(6)}s] ${e.message}`),
  });
  const written = writeScorecard(scorecard, opts.output);
  if (opts.json) printJson(scorecard);
  else {
    for (const slo of scorecard.slos) say(`${slo.passed ? 'pass' : 'FAIL'}  ${slo.slo} ${slo.target}: ${slo.details.map((d) => d.value).join(', ') || 'no incident to judge'}`);
    say(`scorecard: ${written.md} (${written.json})`);
  }
  if (!scorecard.passed) {
    const failed = scorecard.slos.filter((s) => !s.passed).map((s) => s.slo);
    throw new CliError(EXIT.sloFailed, 'slo_failed', `Game day ${scenario.name}: ${failed.join(', ')} failed.`, `The scorecard (${written.md}) has the numbers per incident.`);
  }
}

/** Writes the scorecard as `<name>-<time>.md` and `.json` under `dir`. */
export function writeScorecard(scorecard: Scorecard, dir: string): { md: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${scorecard.gameday}-${scorecard.startedAt.replace(/[:.]/g, '-')}`);
  const written = { md: `${base}.md`, json: `${base}.json` };
  writeFileSync(written.md, renderScorecard(scorecard));
  writeFileSync(written.json, `${JSON.stringify(scorecard, null, 2)}\n`);
  return written;
}

/** `palisade gameday validate [files…]`: every scenario under runbooks/gamedays/ when none is named. */
export function gamedayValidate(files: string[], opts: { json?: boolean }): void {
  const targets = files.length ? files : listScenarios().map((n) => path.join(GAMEDAYS_DIR, `${n}.yaml`));
  const results = targets.map((file) => {
    try {
      const s = loadScenario(file);
      return { file, ok: true, name: s.name };
    } catch (err) {
      return { file, ok: false, error: err instanceof PalisadeError ? err.message : describeError(err) };
    }
  });
  if (opts.json) printJson({ ok: results.every((r) => r.ok), scenarios: results });
  else for (const r of results) say(r.ok ? `ok       ${r.file}` : `invalid  ${r.error}`);
  if (!results.length) throw new CliError(EXIT.usage, 'no_scenarios', `No scenario to validate in ${GAMEDAYS_DIR}.`, 'Name the files to check.');
  if (!results.every((r) => r.ok)) throw new CliError(EXIT.usage, 'gameday_invalid', 'Some scenarios are not valid (listed above).', 'Fix them; README "Game days" describes each field.');
}
