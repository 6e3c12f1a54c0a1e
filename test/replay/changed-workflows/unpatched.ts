// Test fixture for test/replay/replay.test.ts: host-compromise with an incompatible change made
// WITHOUT patched(). Replaying a history recorded before the change must fail.
import recorded from '../../../workflows/host-compromise/playbook';
import type { PlaybookInput } from '../../../workflows/shared/input';
import type { PlaybookOutcome } from '../../../workflows/shared/runner';
import { pageOnCallFirst } from './page-on-call-first';

export async function hostCompromise(input: PlaybookInput): Promise<PlaybookOutcome> {
  await pageOnCallFirst(input);
  return recorded.workflow(input);
}
