import type { DataSource } from 'typeorm';
import { createTimelineActivities } from './timeline/timeline.activities';

export interface ActivityDependencies {
  db: DataSource;
}

/** Every activity the worker registers, built from the dependencies it is given. */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createTimelineActivities(deps.db),
  };
}

export type Activities = ReturnType<typeof createActivities>;
