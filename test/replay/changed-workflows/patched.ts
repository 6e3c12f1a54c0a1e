// Test fixture for test/replay/replay.test.ts: the same change behind patched(). Runs recorded
// before it replay without the new step; new runs take it. (Later, once no run from before the
// change is open, deprecatePatch() and then plain code.)
import { patched } from '@temporalio/workflow';
import recorded from '../../../workflows/host-compromise/playbook';
import type { PlaybookInput } from '../../../workflows/shared/input';
import type { PlaybookOutcome } from '../../../workflows/shared/runner';
import { PAGE_ON_CALL_FIRST, pageOnCallFirst } from './page-on-call-first';

export async function hostCompromise(input: PlaybookInput): Promise<PlaybookOutcome> {
  if (patched(PAGE_ON_CALL_FIRST)) await pageOnCallFirst(input);
  return recorded.workflow(input);
}
