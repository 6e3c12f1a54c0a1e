// Test fixture for test/replay/replay.test.ts: host-compromise with an incompatible change made
// WITHOUT patched(). Replaying a history recorded before the change must fail.
import { hostCompromise as recorded } from '../../../workflows/host-compromise/workflow';
import type { PlaybookInput } from '../../../workflows/shared/input';
import type { PlaybookOutcome } from '../../../workflows/shared/playbook';
import { pageOnCallFirst } from './page-on-call-first';

export async function hostCompromise(input: PlaybookInput): Promise<PlaybookOutcome> {
  await pageOnCallFirst(input);
  return recorded(input);
}
