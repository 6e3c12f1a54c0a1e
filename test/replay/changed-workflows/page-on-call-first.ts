// Test fixture for test/replay/replay.test.ts, not a playbook: the change both fixtures make to
// host-compromise. A new first step (page on-call the moment a host is suspected) adds an
// activity before everything the recorded runs did first: incompatible with their histories.
import { providerActivities } from '../../../workflows/shared/activities';
import type { PlaybookInput } from '../../../workflows/shared/input';

/** The patch id the patched fixture guards the change with. */
export const PAGE_ON_CALL_FIRST = 'host-compromise-page-on-call-first';

export async function pageOnCallFirst(input: PlaybookInput): Promise<void> {
  await providerActivities('30s').notify(
    { idempotencyKey: `${input.incidentId}/0/Page on-call first`, incidentId: input.incidentId },
    { to: 'secops-oncall', kind: 'page', subject: `Suspected compromise: ${input.entity.display}`, body: input.title },
  );
}
