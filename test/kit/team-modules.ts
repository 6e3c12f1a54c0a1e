import * as path from 'node:path';
import { ENGINE_ROOT, KIT_ALIASES } from '../../apps/playbooks/kit-resolution';

/**
 * Vite's side of apps/playbooks/kit-resolution.ts, for a team folder's tests: `@palisade/kit`
 * and `@palisade/kit/testing` are the engine's kit, and packages the folder does not install
 * itself (vitest, zod, @temporalio/*) come from the engine's node_modules.
 */
export function teamModules(teamDirs: readonly string[]): TeamModulesPlugin {
  const inTeamDir = (file: string | undefined) => !!file && teamDirs.some((d) => file === d || file.startsWith(d + path.sep));
  const engineImporter = path.join(ENGINE_ROOT, 'package.json');
  return {
    name: 'palisade-team-modules',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      const kit = KIT_ALIASES[source];
      if (kit) return kit;
      if (!inTeamDir(importer) || source.startsWith('.') || source.startsWith('\0') || path.isAbsolute(source)) return null;
      const own = await this.resolve(source, importer, { ...options, skipSelf: true });
      return own ?? this.resolve(source, engineImporter, { ...options, skipSelf: true });
    },
  };
}

/** The part of Vite's plugin API this plugin uses (Vite's own types need another moduleResolution than the engine's). */
interface ResolveContext {
  resolve(source: string, importer?: string, options?: Record<string, unknown>): Promise<{ id: string } | null>;
}
interface TeamModulesPlugin {
  name: string;
  enforce: 'pre';
  resolveId(this: ResolveContext, source: string, importer: string | undefined, options: Record<string, unknown>): Promise<string | { id: string } | null>;
}
