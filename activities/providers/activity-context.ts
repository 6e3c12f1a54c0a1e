import { Context } from '@temporalio/activity';

/** The running activity's context, or undefined outside an activity (the API, a CLI check, a test). */
export function currentActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
