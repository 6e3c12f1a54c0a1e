import type { WorkerDeploymentVersion } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { NativeConnection, WorkerDeploymentOptions } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import type { PalisadeConfig } from '../../lib/config/env';
import { describeError } from '../../lib/errors';
import { buildIdOf } from '../../lib/temporal/build-id';

/** A workflow bundle as the worker is given it: its code, or the file that holds it. */
export type BundleSource = { code: string } | { codePath: string };

/**
 * The worker's Worker Versioning options: its version is the deployment's name and the build
 * id of the very code it runs (lib/temporal/build-id.ts); undefined when versioning is off.
 * Each playbook declares its own behaviour (workflows/shared/define.ts); the default is never
 * used by a playbook and is the one that is safe for runs that span deploys.
 */
export function deploymentOptionsFor(config: PalisadeConfig, code: string): WorkerDeploymentOptions | undefined {
  if (!config.temporal.deploymentName) return undefined;
  return {
    version: { deploymentName: config.temporal.deploymentName, buildId: buildIdOf(code) },
    useWorkerVersioning: true,
    defaultVersioningBehavior: 'AUTO_UPGRADE',
  };
}

/** The bundle's code, read from its file when it is given as one. */
export function bundleCode(bundle: BundleSource): string {
  return 'code' in bundle ? bundle.code : readFileSync(bundle.codePath, 'utf8');
}

const { RoutingConfigUpdateState } = temporal.api.enums.v1;

/**
 * Makes `version` its deployment's current version when `when` says so: `if-none`, only when no
 * version is current (a first start); `always`, unless it is already. Waits until the worker has
 * registered the version (its first poll) and the routing update has reached the task queues,
 * retrying while the server says one is under way. Returns whether it made it current.
 */
export async function becomeCurrent(
  connection: Pick<NativeConnection, 'workflowService'>,
  namespace: string,
  version: WorkerDeploymentVersion,
  when: 'if-none' | 'always' | 'never',
  timeoutMs = 60_000,
): Promise<boolean> {
  if (when === 'never') return false;
  const deadline = Date.now() + timeoutMs;
  const service = connection.workflowService;
  let failure: unknown;
  let made = false;
  while (Date.now() < deadline) {
    try {
      const described = await service.describeWorkerDeployment({ namespace, deploymentName: version.deploymentName });
      const info = described.workerDeploymentInfo;
      const registered = info?.versionSummaries?.some((v) => v.deploymentVersion?.buildId === version.buildId);
      const current = info?.routingConfig?.currentDeploymentVersion;
      if (registered) {
        if (current?.buildId === version.buildId) {
          const state = info?.routingConfigUpdateState ?? RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_UNSPECIFIED;
          // Reached every task queue of the version (a server without the field says nothing: done).
          if (state !== RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS) return made;
        } else if (current && when === 'if-none') {
          return false;
        } else {
          await service.setWorkerDeploymentCurrentVersion({
            namespace,
            deploymentName: version.deploymentName,
            buildId: version.buildId,
            conflictToken: described.conflictToken,
            identity: 'palisade-worker',
          });
          made = true;
        }
      }
    } catch (err) {
      // Not registered yet (NOT_FOUND), a concurrent routing change (conflict token), an update under way: again.
      failure = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`worker version ${version.deploymentName}/${version.buildId} did not become current within ${timeoutMs / 1000} s${failure ? `: ${describeError(failure)}` : ''}`);
}
