import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { PalisadeError } from '../errors';
import type { PlaybookSource } from './catalogue';

/** One playbook folder: `<dir>/playbook.ts` declares it (definePlaybook, default export). */
export interface PlaybookFolder {
  dir: string;
  file: string;
  source: PlaybookSource;
}

/** The file a playbook folder declares itself in. */
export const DECLARATION_FILE = 'playbook.ts';
/** The same, compiled: the engine's own playbooks in its compiled build (`npm start`). */
const COMPILED_DECLARATION_FILE = 'playbook.js';

/** The folder's declaration file, TypeScript first; undefined when it has none. */
function declarationIn(dir: string): string | undefined {
  return [DECLARATION_FILE, COMPILED_DECLARATION_FILE].map((f) => path.join(dir, f)).find((f) => existsSync(f));
}

/**
 * The playbook folders under the engine's `workflows/` (shipped) and under each team
 * folder (PALISADE_PLAYBOOKS_DIR): every direct subfolder holding a playbook.ts. A team
 * folder that does not exist, or holds no playbook, stops the start with its path.
 */
export function findPlaybookFolders(shippedRoot: string, teamRoots: readonly string[]): PlaybookFolder[] {
  const folders: PlaybookFolder[] = foldersUnder(shippedRoot).map((dir) => ({ dir, file: declarationIn(dir)!, source: { kind: 'shipped', dir } }));
  for (const root of teamRoots) {
    if (!existsSync(root) || !statSync(root).isDirectory()) {
      throw new PalisadeError('playbooks_dir_missing', `PALISADE_PLAYBOOKS_DIR names ${root}, which is not a folder.`, 'Point it at a folder of playbook folders (each with a playbook.ts), or unset it.');
    }
    // The root may itself be one playbook's folder.
    const found = existsSync(path.join(root, DECLARATION_FILE)) ? [root] : foldersUnder(root);
    if (found.length === 0) {
      throw new PalisadeError(
        'playbooks_dir_empty',
        `PALISADE_PLAYBOOKS_DIR names ${root}, which holds no playbook folder (a folder with a ${DECLARATION_FILE}).`,
        'Make one with `palisade playbook new <name> --dir <folder>`, or unset PALISADE_PLAYBOOKS_DIR.',
      );
    }
    folders.push(...found.map((dir) => ({ dir, file: declarationIn(dir)!, source: { kind: 'team' as const, dir } })));
  }
  return folders;
}

function foldersUnder(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
    .map((e) => path.join(root, e.name))
    .filter((dir) => declarationIn(dir) !== undefined)
    .sort();
}
