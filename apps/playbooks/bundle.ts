import type { WorkflowBundle } from '@temporalio/worker';
import * as path from 'node:path';
import { bundlePlaybooks, type EngineModules } from '../../lib/temporal/workflow-bundle';
import { ENGINE_ROOT, KIT_FILE, TRACING_INTERCEPTORS } from './kit-resolution';
import { loadPlaybooks } from './load';

/** The engine's own modules every bundle of playbooks is built with. */
export const ENGINE_MODULES: EngineModules = { kitFile: KIT_FILE, nodeModules: path.join(ENGINE_ROOT, 'node_modules'), tracingInterceptors: TRACING_INTERCEPTORS };

/**
 * The workflow bundle of every playbook the engine runs, the shipped ones and a team's
 * (PALISADE_PLAYBOOKS_DIR): what the worker runs, `npm start` prebuilds and `palisade replay
 * check` replays on.
 */
export async function bundleAllPlaybooks(teamDirs: readonly string[] = []): Promise<WorkflowBundle> {
  const { bundle } = await loadPlaybooks(teamDirs);
  return bundlePlaybooks(bundle, ENGINE_MODULES);
}
