import type { DataSource } from 'typeorm';
import type { Redactor } from '../lib/intake/redact';
import { createPlaybookActivities } from './playbook/playbook.activities';
import { createProviderActivities, type Providers } from './providers/provider.activities';
import { createTimelineActivities } from './timeline/timeline.activities';

export interface ActivityDependencies {
  db: DataSource;
  redactor: Redactor;
  /** One implementation per capability (see activities/providers/registry.ts). */
  providers: Providers;
  approvalsFile: string;
}

/** Every activity the worker registers, built from the dependencies it is given. */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createTimelineActivities(deps.db, deps.redactor),
    ...createPlaybookActivities({ db: deps.db, approvalsFile: deps.approvalsFile }),
    ...createProviderActivities(deps.providers),
  };
}

export type Activities = ReturnType<typeof createActivities>;
