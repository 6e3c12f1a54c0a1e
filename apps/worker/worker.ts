import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { workflowTracing } from './tracing';
import type { Tracing } from '../../lib/telemetry/tracing';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createActivities } from '../../activities';
import { checkApprovalPolicies } from '../../lib/approvals/policy-check';
import { loadApprovalPolicies } from '../../lib/approvals/policy-file';
import { bundleAllPlaybooks } from '../playbooks/bundle';
import { loadPlaybooks } from '../playbooks/load';
import { createProviders } from '../../activities/providers/registry';
import type { PalisadeConfig } from '../../lib/config/env';
import { Redactor } from '../../lib/intake/redact';
import { PalisadeError } from '../../lib/errors';
import { PeopleFile } from '../../lib/people';
import { AssignmentRulesFile } from '../../lib/assignment/rules-file';
import { loadProvidersConfig } from '../../lib/providers/providers-file';
import { pagingPlan } from '../../lib/paging/plan';
import { SlackTemplates } from '../../lib/slack/templates';
import { createSlackClient } from '../../activities/slack/slack-client';
import { bundleCode, deploymentOptionsFor } from './versioning';
import { registerBuild } from '../../lib/db/worker-builds';
import { workflowCacheSize } from '../../lib/temporal/workflow-cache';

export interface WorkerOptions {
  connection: NativeConnection;
  config: PalisadeConfig;
  db: DataSource;
  /** Default: config.temporal.taskQueue. */
  taskQueue?: string;
  /** A prebuilt workflow bundle (tests build one per run); otherwise bundled at start. */
  workflowBundle?: { codePath: string } | { code: string };
  /** Where real vendors' secrets are read (runbooks/providers.yaml names the variables): the worker's environment. */
  env?: Readonly<Record<string, string | undefined>>;
  /** This process's tracing (lib/telemetry/tracing.ts), when it is on. */
  tracing?: Tracing;
}

/**
 * A Palisade worker: the workflow bundle plus activities built from their dependencies.
 * Bad runbook files (providers, fleet) fail here, at start, with the file and the reason.
 */
export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  const { config, db } = opts;
  // Each run reads approvals.yaml as it starts: a playbook or gate it names that does not exist stops the worker here.
  const { catalogue } = await loadPlaybooks(config.playbooks.teamDirs);
  loadApprovalPolicies(config.playbooks.approvalsFile);
  checkApprovalPolicies(config.playbooks.approvalsFile, catalogue);
  const providersConfig = loadProvidersConfig(config.playbooks.providersFile);
  if (!config.intake.redactionKey && providersConfig.vendors.credentials.default !== 'simulated') {
    throw new PalisadeError(
      'redaction_key_missing',
      `PALISADE_REDACTION_KEY is not set: the ${providersConfig.vendors.credentials.default} credential store finds leaked secrets by the door's keyed fingerprint, so without the same key it would find none.`,
      'Give the worker the same PALISADE_REDACTION_KEY as the API.',
    );
  }
  // Without the door's key, timeline redaction still works; its fingerprints just will not match the door's.
  const redactor = new Redactor(config.intake.redactionKey ? Buffer.from(config.intake.redactionKey) : randomBytes(32));
  const { providers, fleet } = createProviders(providersConfig, {
    db,
    env: opts.env,
    fingerprint: (value) => redactor.fingerprint(value),
  });
  await fleet.seed(config.playbooks.fleetFile);
  const paging = pagingPlan(providersConfig, config.playbooks.pagingFile, config.slack !== undefined);
  const people = new PeopleFile(config.playbooks.peopleFile, (err) => {
    Runtime.instance().logger.warn(`${err.message} Mentions and assignment use the last good list.`);
  });
  const slack = config.slack ? { client: createSlackClient(config.slack), templates: new SlackTemplates(config.slack.templatesDir), people, publicUrl: config.publicUrl } : undefined;
  // A rule naming nobody people.yaml knows stops the worker here, with the file and the rule.
  const assignment = new AssignmentRulesFile(config.playbooks.assignmentFile, people, (err) => {
    Runtime.instance().logger.warn(`${err.message} New incidents are assigned by the last good rules.`);
  });
  const workflowBundle = opts.workflowBundle ?? (await bundleAllPlaybooks(config.playbooks.teamDirs));
  // Read once: its build id, and its code where a promotion's replay check finds it (apps/api/deploys/promote.ts).
  const code = config.temporal.deploymentName ? bundleCode(workflowBundle) : undefined;
  const workerDeploymentOptions = code === undefined ? undefined : deploymentOptionsFor(config, code);
  if (workerDeploymentOptions && code !== undefined) await registerBuild(db, workerDeploymentOptions.version.deploymentName, workerDeploymentOptions.version.buildId, code);
  return Worker.create({
    connection: opts.connection,
    namespace: config.temporal.namespace,
    taskQueue: opts.taskQueue ?? config.temporal.taskQueue,
    workflowBundle,
    // Its version: the deployment and the build id of this bundle (apps/worker/versioning.ts).
    workerDeploymentOptions,
    activities: createActivities({ db, redactor, providers, approvalsFile: config.playbooks.approvalsFile, assignment, slack, fallbackWebhookUrl: config.fallbackWebhookUrl, publicUrl: config.publicUrl, paging }),
    shutdownGraceTime: '3s',
    maxCachedWorkflows: workflowCacheSize(config.temporal.workerMemoryMiB),
    // Provider activities heartbeat every 5 s; send them on at once, not at 0.8 × their
    // 20 s timeout, so a late one has 15 s of margin (workflows/shared/activities.ts).
    maxHeartbeatThrottleInterval: '5s',
    ...workflowTracing(opts.tracing),
  });
}
