import { ApplicationFailure } from '@temporalio/common';
import { expect } from 'vitest';

/** The typed provider failure (ApplicationFailure) a call failed with; the call must fail. */
export async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}
