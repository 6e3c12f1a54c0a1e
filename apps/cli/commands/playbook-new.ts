import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PalisadeConfig } from '../../../lib/config/env';
import { PLAYBOOK_NAME } from '../../../lib/playbooks/catalogue';
import { DECLARATION_FILE } from '../../../lib/playbooks/folders';
import { ENGINE_ROOT } from '../../playbooks/kit-resolution';
import { loadPlaybooks, SHIPPED_PLAYBOOKS } from '../../playbooks/load';
import { CliError, EXIT } from './exit-codes';
import { approvalsEntry, playbookSource, routingRule, runbookPage, testSource, type Scaffold } from './playbook-templates';
import { say } from './output';

export interface NewPlaybook {
  dir: string;
  files: string[];
}

/**
 * `palisade playbook new <name> [--dir DIR]`: writes a playbook that works as generated (its
 * declaration with one step and one gate, its runbook page, a test on the kit) into
 * `<DIR>/<name>/`, DIR being the first PALISADE_PLAYBOOKS_DIR folder unless given; then
 * prints the routing rule and the approvals.yaml entry to paste. `--dir workflows` (the
 * engine's own folder) makes a shipped playbook, laid out as the shipped ones are.
 */
export async function playbookNew(config: PalisadeConfig, name: string, opts: { dir?: string }): Promise<NewPlaybook> {
  if (!PLAYBOOK_NAME.test(name)) {
    throw new CliError(EXIT.usage, 'bad_playbook_name', `'${name}' is not a playbook name.`, 'Use lower-case words joined by hyphens, e.g. compromised-identity: it is part of workflow ids and URLs.');
  }
  const root = opts.dir ? path.resolve(opts.dir) : config.playbooks.teamDirs[0];
  if (!root) {
    throw new CliError(
      EXIT.usage,
      'no_playbooks_dir',
      'Where should the playbook go? PALISADE_PLAYBOOKS_DIR is not set and no --dir was given.',
      "Pass --dir <your team's playbooks folder> (keep it outside the engine, e.g. your own git repository), or set PALISADE_PLAYBOOKS_DIR to it.",
    );
  }
  const shipped = path.resolve(root) === SHIPPED_PLAYBOOKS;
  const dir = path.join(root, name);
  if (existsSync(dir)) throw new CliError(EXIT.usage, 'playbook_exists', `${dir} already exists.`, 'Pick another name, or remove the folder.');
  // The names it must not clash with: the engine's and every team folder's, this one included.
  const teamDirs = [...new Set([...config.playbooks.teamDirs, ...(shipped || !existsSync(root) || !hasPlaybooks(root) ? [] : [root])])];
  const { catalogue } = await loadPlaybooks(teamDirs);
  const clash = catalogue.get(name);
  if (clash) {
    throw new CliError(EXIT.usage, 'playbook_name_clash', `There is already a playbook named '${name}' (${clash.source.kind}, ${clash.source.dir}).`, 'Pick another name: names are unique across the engine and PALISADE_PLAYBOOKS_DIR.');
  }

  const scaffold: Scaffold = { name, shipped };
  const runbook = shipped ? path.join(ENGINE_ROOT, 'runbooks', `${name}.md`) : path.join(dir, 'runbook.md');
  const test = shipped ? path.join(ENGINE_ROOT, 'test', 'integration', `${name}.test.ts`) : path.join(dir, `${name}.test.ts`);
  const files: [string, string][] = [
    [path.join(dir, DECLARATION_FILE), playbookSource(scaffold)],
    [runbook, runbookPage(scaffold)],
    [test, testSource(scaffold)],
  ];
  for (const [file] of files) {
    if (existsSync(file)) throw new CliError(EXIT.usage, 'file_exists', `${file} already exists.`, 'Pick another name, or remove the file.');
  }
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of files) writeFileSync(file, text);

  const rel = (f: string) => (f.startsWith(process.cwd() + path.sep) ? path.relative(process.cwd(), f) : f);
  say(`Created the playbook ${name}:`);
  for (const [file] of files) say(`  ${rel(file)}`);
  say('');
  say(`Route alerts to it: paste this rule into your routing file (PALISADE_ROUTING_FILE, default runbooks/routing.yaml), above the catch-all rule:`);
  say('');
  say(routingRule(scaffold));
  say('');
  say(`Optional, who approves its gate (PALISADE_APPROVALS_FILE, under \`playbooks:\`; without it the file's defaults apply):`);
  say('');
  say(approvalsEntry(scaffold));
  say('');
  say('Then:');
  if (shipped) {
    say(`  palisade playbook check ${rel(SHIPPED_PLAYBOOKS)}   # declarations, policies, routing, types, histories`);
    say(`  npx vitest run ${rel(test)}`);
    say(`  add a scenario for it to scripts/histories/scenarios.ts and record it (test/histories/README.md): every shipped playbook has a history`);
  } else {
    say(`  palisade playbook check ${rel(root)}   # declarations, policies, routing, types, histories`);
    say(`  palisade playbook test ${rel(root)}    # its tests, on a real worker and the simulated fleet`);
    if (!config.playbooks.teamDirs.includes(path.resolve(root))) say(`  PALISADE_PLAYBOOKS_DIR=${root} npm start`);
  }
  say('docs/playbooks.md is the guide.');
  return { dir, files: files.map(([f]) => f) };
}

function hasPlaybooks(root: string): boolean {
  try {
    return existsSync(path.join(root, DECLARATION_FILE)) || readdirSync(root).some((e) => existsSync(path.join(root, e, DECLARATION_FILE)));
  } catch {
    return false;
  }
}
