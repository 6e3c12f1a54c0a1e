import type { Client } from '@temporalio/client';
import { optionalTsToMs, type Timestamp } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { describeError } from '../errors';

type WorkflowService = Client['workflowService'];
const { RoutingConfigUpdateState, WorkerDeploymentVersionStatus } = temporal.api.enums.v1;

/** One version of a worker deployment as Temporal describes it. */
export interface DeploymentVersion {
  buildId: string;
  /** inactive, current, ramping, draining, drained. */
  status: string;
  createdAt: string | null;
  currentSince: string | null;
  rampingSince: string | null;
}

/** A worker deployment's versions and routing: where new runs (and AUTO_UPGRADE runs' next tasks) go. */
export interface DeploymentState {
  versions: DeploymentVersion[];
  current: string | null;
  ramping: { buildId: string; percent: number } | null;
  /** A routing change is still reaching the task queues. */
  updating: boolean;
  conflictToken: Uint8Array | null;
}

/** The deployment, or undefined when no worker of it ever polled (Temporal says NOT_FOUND). */
export async function describeDeployment(service: WorkflowService, namespace: string, deploymentName: string): Promise<DeploymentState | undefined> {
  let described;
  try {
    described = await service.describeWorkerDeployment({ namespace, deploymentName });
  } catch (err) {
    if ((err as { code?: number }).code === GRPC_NOT_FOUND) return undefined;
    throw err;
  }
  const info = described.workerDeploymentInfo;
  const routing = info?.routingConfig;
  const ramping = routing?.rampingDeploymentVersion?.buildId;
  return {
    versions: (info?.versionSummaries ?? []).map((v) => ({
      buildId: v.deploymentVersion?.buildId ?? '',
      status: statusName(v.status),
      createdAt: time(v.createTime),
      currentSince: time(v.currentSinceTime),
      rampingSince: time(v.rampingSinceTime),
    })),
    current: routing?.currentDeploymentVersion?.buildId || null,
    ramping: ramping ? { buildId: ramping, percent: routing?.rampingVersionPercentage ?? 0 } : null,
    updating: info?.routingConfigUpdateState === RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS,
    conflictToken: described.conflictToken ?? null,
  };
}

/** The routing wanted: a current version, and a ramping one with its share of new runs (or none). */
export interface Routing {
  current: string;
  ramping: { buildId: string; percent: number } | null;
}

/**
 * Changes a deployment's routing to `want` and waits until it has reached the task queues. Each
 * change is made against the conflict token of the description it was decided on; while another
 * change is under way (or a concurrent one moved the token) it describes again and retries, as
 * Temporal's SDKs' own versioning tests do. Setting a ramping version current ends its ramp.
 */
export async function changeRouting(service: WorkflowService, namespace: string, deploymentName: string, want: Routing, identity: string, timeoutMs = 60_000): Promise<DeploymentState> {
  const deadline = Date.now() + timeoutMs;
  let failure: unknown;
  while (Date.now() < deadline) {
    try {
      const state = await describeDeployment(service, namespace, deploymentName);
      if (state && !state.updating) {
        const base = { namespace, deploymentName, conflictToken: state.conflictToken, identity };
        if (state.current !== want.current) {
          await service.setWorkerDeploymentCurrentVersion({ ...base, buildId: want.current });
        } else if ((state.ramping?.buildId ?? null) !== (want.ramping?.buildId ?? null) || (want.ramping && state.ramping?.percent !== want.ramping.percent)) {
          // No build id unsets the ramp.
          await service.setWorkerDeploymentRampingVersion({ ...base, buildId: want.ramping?.buildId ?? '', percentage: want.ramping?.percent ?? 0 });
        } else {
          return state;
        }
      }
    } catch (err) {
      // Temporal down or silent: no retry here makes it answer (the client's own gRPC retries ran).
      if (isUnreachable(err)) throw err;
      // Temporal refused the change itself (a version already current, another manager's
      // identity): asking again gets the same answer.
      if (isRefusal(err)) throw new RoutingRefused(describeError(err), { cause: err });
      // A routing update under way, a concurrent change (conflict token): describe and try again.
      failure = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new RoutingNotApplied(`the routing of worker deployment ${deploymentName} did not change within ${timeoutMs / 1000} s${failure ? `: ${describeError(failure)}` : ''}`, { cause: failure });
}

/** Temporal did not apply a routing change in time (another still under way, or a slow server): it may yet apply. */
export class RoutingNotApplied extends Error {
  override name = 'RoutingNotApplied';
}

/**
 * Temporal refused a routing change for a reason that stands (FAILED_PRECONDITION): the proposed
 * version is already current, or the deployment has another manager. The worker deployment's
 * own workflow (server 1.29, service/worker/workerdeployment) answers two passing conditions
 * with FAILED_PRECONDITION too, and those are retried: a stale conflict token, and a version
 * "missing active task queues" of the current one, which is what a version whose worker has
 * just started says until its every poller has reached the server (the API's own comment on
 * `allow_no_pollers`/`ignore_missing_task_queues`).
 */
export class RoutingRefused extends Error {
  override name = 'RoutingRefused';
}

const GRPC_NOT_FOUND = 5;
const GRPC_FAILED_PRECONDITION = 9;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: number }).code;
  return code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED;
}

function isRefusal(err: unknown): boolean {
  const { code, details, message } = err as { code?: number; details?: string; message?: string };
  return code === GRPC_FAILED_PRECONDITION && !/conflict token mismatch|missing active task queues/i.test(`${details ?? ''} ${message ?? ''}`);
}

function statusName(status: temporal.api.enums.v1.WorkerDeploymentVersionStatus | null | undefined): string {
  const name = WorkerDeploymentVersionStatus[status ?? 0] ?? 'UNSPECIFIED';
  return name.replace('WORKER_DEPLOYMENT_VERSION_STATUS_', '').toLowerCase();
}

function time(t: Timestamp | null | undefined): string | null {
  const ms = optionalTsToMs(t);
  return ms ? new Date(ms).toISOString() : null;
}
