import { existsSync } from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';

/** What a team's playbook imports the kit as (docs/playbooks.md). */
export const KIT_SPECIFIER = '@palisade/kit';

/** The engine's own folder (this file is apps/playbooks/kit-resolution.ts). */
export const ENGINE_ROOT = path.resolve(__dirname, '../..');
/** The kit's source; in the engine's compiled build (`npm start`), its JavaScript. */
export const KIT_FILE = [path.join(ENGINE_ROOT, 'workflows', 'kit.ts'), path.join(ENGINE_ROOT, 'workflows', 'kit.js')].find((f) => existsSync(f)) ?? path.join(ENGINE_ROOT, 'workflows', 'kit.ts');
/** The bundle's workflow interceptors for traces; in the compiled build, their JavaScript. */
export const TRACING_INTERCEPTORS = ['ts', 'js'].map((ext) => path.join(ENGINE_ROOT, 'workflows', 'shared', `tracing-interceptors.${ext}`)).find((f) => existsSync(f)) ?? path.join(ENGINE_ROOT, 'workflows', 'shared', 'tracing-interceptors.ts');
/** What a team's playbook test imports the test kit as (docs/playbooks.md, test/kit/testing.ts). */
export const TESTING_SPECIFIER = '@palisade/kit/testing';
export const TESTING_FILE = path.join(ENGINE_ROOT, 'test', 'kit', 'testing.ts');

/** Where a team folder's imports of the kit go: `@palisade/kit` and `@palisade/kit/testing`. */
export const KIT_ALIASES: Readonly<Record<string, string>> = { [KIT_SPECIFIER]: KIT_FILE, [TESTING_SPECIFIER]: TESTING_FILE };

type Resolve = (request: string, parent: { filename?: string | null } | undefined, ...rest: unknown[]) => string;
const resolver = Module as unknown as { _resolveFilename: Resolve & { palisadeTeamDirs?: string[] } };

/**
 * Lets a team's playbook folder, outside the engine, import what the engine's own playbooks
 * import: `@palisade/kit` is the engine's kit, and packages (zod, @temporalio/workflow) come
 * from the engine's node_modules when the folder has none of its own. The worker's bundler
 * does the same (lib/temporal/workflow-bundle.ts). Installed once per process.
 */
export function resolveKitFor(teamDirs: readonly string[]): void {
  const current = resolver._resolveFilename;
  if (current.palisadeTeamDirs) {
    current.palisadeTeamDirs.push(...teamDirs.filter((d) => !current.palisadeTeamDirs!.includes(d)));
    return;
  }
  const dirs = [...teamDirs];
  const inTeamDir = (file: string | null | undefined) => !!file && dirs.some((d) => file === d || file.startsWith(d + path.sep));
  const patched: Resolve & { palisadeTeamDirs?: string[] } = function (this: unknown, request, parent, ...rest) {
    const kit = KIT_ALIASES[request];
    if (kit) return current.call(this, kit, parent, ...rest);
    try {
      return current.call(this, request, parent, ...rest);
    } catch (err) {
      if (!inTeamDir(parent?.filename) || request.startsWith('.') || path.isAbsolute(request)) throw err;
      return current.call(this, require.resolve(request, { paths: [ENGINE_ROOT] }), parent, ...rest);
    }
  };
  patched.palisadeTeamDirs = dirs;
  resolver._resolveFilename = patched;
}
