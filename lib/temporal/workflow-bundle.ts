import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';

/**
 * Bundles workflow code as the worker would, printing only the bundler's warnings and errors
 * (`palisade replay check`, and the tests' one bundle per run).
 */
export function bundleWorkflows(workflowsPath: string): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath, logger: quietLogger });
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
