import { patched } from '@temporalio/workflow';
import { z } from 'zod';
import { definePlaybook } from '../kit';
import type { PlaybookInput } from '../shared/input';
import { PATCH } from '../shared/patches';
import { legacyTriage } from './legacy';

/**
 * Triage — every routed alert no rule gives another playbook lands here.
 * 1. Open the incident.
 * 2. Gather the alerts the door merges in, one timeline entry per batch.
 * 3. Wait for a responder to resolve it (or cancel it: nothing to undo).
 */
const triage = definePlaybook({
  name: 'triage',
  workflowType: 'triageIncident',
  version: '0.1.0',
  description: 'Open an incident, gather its alerts, wait for a responder to resolve it.',
  // Every run waits for people (a gate, or a responder after a failed step), so it spans deploys.
  versioning: { behavior: 'AUTO_UPGRADE', reason: 'it gathers alerts until a responder resolves it, for days at times: it meets deploys, so it takes the new build (changes to running logic go behind patched())' },
  params: z.object({}).strict(),
  gates: [],
  steps: [],

  async run(run) {
    await run.waitForResponder({ kind: 'responder' });
    return 'a responder closed it';
  },
});

export default {
  ...triage,
  // Runs started before one lifecycle replay on the code they ran on.
  workflow: (input: PlaybookInput) => (patched(PATCH.oneLifecycle) ? triage.workflow(input) : legacyTriage(input)),
};
