import { createRequire } from 'node:module';
import * as path from 'node:path';
import { z } from 'zod';
import { PalisadeError, describeError } from '../../lib/errors';
import { Catalogue, describeSource, PLAYBOOK_NAME, VERSIONING_BEHAVIORS, type PlaybookEntry } from '../../lib/playbooks/catalogue';
import { findPlaybookFolders, type PlaybookFolder } from '../../lib/playbooks/folders';
import type { Playbook } from '../../workflows/kit';
import { ENGINE_ROOT, resolveKitFor } from './kit-resolution';

/** Where the engine's own playbooks live. */
export const SHIPPED_PLAYBOOKS = path.join(ENGINE_ROOT, 'workflows');

/** A playbook the worker bundles: its declaration file and the workflow type it runs under. */
export interface BundledPlaybook {
  file: string;
  workflowType: string;
}

export interface LoadedPlaybooks {
  catalogue: Catalogue;
  bundle: BundledPlaybook[];
}

/**
 * Loads every playbook declaration (the shipped ones and the team folders of
 * PALISADE_PLAYBOOKS_DIR) into the catalogue the API, the worker and the CLI share. A broken
 * declaration stops the start with its folder and what is wrong with it.
 */
export async function loadPlaybooks(teamDirs: readonly string[] = []): Promise<LoadedPlaybooks> {
  if (teamDirs.length > 0) resolveKitFor(teamDirs);
  const folders = findPlaybookFolders(SHIPPED_PLAYBOOKS, teamDirs);
  const loaded: { entry: PlaybookEntry; file: string }[] = [];
  for (const folder of folders) loaded.push({ entry: entryOf(folder, await importDeclaration(folder)), file: folder.file });
  const catalogue = new Catalogue(loaded.map((l) => l.entry));
  const types = new Map<string, PlaybookEntry>();
  for (const { entry } of loaded) {
    const clash = types.get(entry.workflowType);
    if (clash) {
      throw broken({ file: '', dir: entry.source.dir, source: entry.source }, `its workflow type ${entry.workflowType} is also ${clash.name}'s (${describeSource(clash.source)})`);
    }
    types.set(entry.workflowType, entry);
  }
  return { catalogue, bundle: loaded.map(({ entry, file }) => ({ file, workflowType: entry.workflowType })) };
}

const loadCommonJs = createRequire(__filename);

async function importDeclaration(folder: PlaybookFolder): Promise<unknown> {
  try {
    // A team's playbook is TypeScript: a process running the engine's compiled build (`npm
    // start`) compiles it as it loads, with the compiler it has not loaded until now.
    if (folder.file.endsWith('.ts') && !('.ts' in require.extensions)) (loadCommonJs('@swc-node/register/register') as { register: () => void }).register();
    const mod = (await import(folder.file)) as { default?: unknown };
    return mod.default;
  } catch (err) {
    throw broken(folder, `playbook.ts does not load: ${describeError(err)}`);
  }
}

/** The catalogue's view of a declaration, after checking it is one. */
function entryOf(folder: PlaybookFolder, declared: unknown): PlaybookEntry {
  const p = declared as Partial<Playbook> | undefined;
  if (!p || typeof p !== 'object' || typeof p.workflow !== 'function') {
    throw broken(folder, 'playbook.ts must `export default definePlaybook({ ... })` (from the kit)');
  }
  if (typeof p.name !== 'string' || !PLAYBOOK_NAME.test(p.name)) {
    throw broken(folder, `its name ${JSON.stringify(p.name)} is not lower-case words joined by hyphens (e.g. compromised-identity)`);
  }
  if (!(p.params instanceof z.ZodType)) throw broken(folder, `${p.name}: params must be a zod schema`);
  const versioning = p.versioning;
  if (!versioning || !(VERSIONING_BEHAVIORS as readonly string[]).includes(versioning.behavior) || typeof versioning.reason !== 'string' || versioning.reason.trim() === '') {
    throw broken(folder, `${p.name}: versioning must say { behavior: 'AUTO_UPGRADE' | 'PINNED', reason: '…' } (what its open runs do when a new build is deployed, and why)`);
  }
  const gates = p.allGates ?? [];
  const duplicate = [...(p.gates ?? []), ...(p.steps ?? [])].find((name, i, all) => all.indexOf(name) !== i);
  if (duplicate) throw broken(folder, `${p.name}: '${duplicate}' is declared twice`);
  return {
    name: p.name,
    workflowType: p.workflowType!,
    version: p.version!,
    versioning: { behavior: versioning.behavior, reason: versioning.reason },
    description: p.description ?? '',
    params: p.params,
    gates,
    steps: p.steps ?? [],
    ...(p.manualStart ? { manualStart: p.manualStart } : {}),
    categories: p.categories ?? [],
    source: folder.source,
  };
}

function broken(folder: PlaybookFolder, problem: string): PalisadeError {
  return new PalisadeError(
    'playbook_invalid',
    `The playbook in ${folder.dir}: ${problem}.`,
    `Fix ${path.join(folder.dir, 'playbook.ts')} (docs/playbooks.md shows a declaration), or remove the folder; \`palisade playbook check\` checks it without starting the engine.`,
  );
}

let shipped: Promise<Catalogue> | undefined;

/** The engine's own playbooks only (no team folder), loaded once: for tools and tests that start runs straight on Temporal. */
export function shippedCatalogue(): Promise<Catalogue> {
  shipped ??= loadPlaybooks().then((l) => l.catalogue);
  return shipped;
}
