import type { DataSource } from 'typeorm';
import type { PagingPlan } from '../lib/db/paging-outbox';
import type { AssignmentRulesFile } from '../lib/assignment/rules-file';
import type { Redactor } from '../lib/intake/redact';
import { createFallbackNotifier } from './notify/fallback-webhook.activities';
import { createOpeningActivities } from './playbook/open-incident.activities';
import { createPlaybookActivities } from './playbook/playbook.activities';
import { createSlackActivities, type SlackActivityDependencies } from './slack/slack.activities';
import { createProviderActivities, type Providers } from './providers/provider.activities';
import { createTimelineActivities } from './timeline/timeline.activities';
import { timelineWriter } from './timeline/timeline-writer';

export interface ActivityDependencies {
  db: DataSource;
  redactor: Redactor;
  /** One implementation per capability (see activities/providers/registry.ts). */
  providers: Providers;
  approvalsFile: string;
  /** runbooks/assignment.yaml and the people it names; absent: new incidents are nobody's until taken. */
  assignment?: AssignmentRulesFile;
  /** Absent when Slack is off: playbooks then post nothing to Slack. */
  slack: SlackActivityDependencies | undefined;
  /** Told when Slack cannot carry an approval request (PALISADE_FALLBACK_WEBHOOK_URL). */
  fallbackWebhookUrl: string | undefined;
  /** Base URL of the API, for links in notices. */
  publicUrl: string;
  /** Which incidents page or open a ticket, and with which vendors; absent: none does. */
  paging?: PagingPlan;
}

/** Every activity the worker registers, built from the dependencies it is given. */
export function createActivities(deps: ActivityDependencies) {
  const timeline = createTimelineActivities(deps.db, deps.redactor, deps.paging);
  const playbook = createPlaybookActivities({ db: deps.db, approvalsFile: deps.approvalsFile, slackConnected: deps.slack !== undefined, assignment: deps.assignment });
  return {
    ...timeline,
    ...playbook,
    ...createOpeningActivities(timeline, playbook),
    ...createProviderActivities(deps.providers, timelineWriter(deps.db, deps.redactor)),
    ...(deps.slack ? createSlackActivities(deps.slack) : {}),
    ...createFallbackNotifier({ url: deps.fallbackWebhookUrl, publicUrl: deps.publicUrl }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
