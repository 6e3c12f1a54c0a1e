import { z } from 'zod';
import { definePlaybook } from '../kit';
import type { PlaybookInput } from '../shared/input';
import { legacyManualIncident } from './legacy';
import type { ManualIncidentInput } from './shared';

/**
 * Manual incident — a responder reports an incident by hand (`POST /incidents`).
 * 1. Open the incident.
 * 2. Gather any alerts that join it, and its notes.
 * 3. Wait for a responder to resolve or cancel it.
 */
const manualIncident = definePlaybook({
  name: 'manual-incident',
  version: '0.1.0',
  description: 'An incident a responder reports by hand (POST /incidents): it waits, gathering what joins it, until a responder resolves or cancels it.',
  // Every run waits for people (a gate, or a responder after a failed step), so it spans deploys.
  versioning: { behavior: 'AUTO_UPGRADE', reason: 'it waits for a responder as long as the incident is open: it meets deploys, so it takes the new build (changes to running logic go behind patched())' },
  params: z.object({}).strict(),
  gates: [],
  steps: [],

  async run(run) {
    await run.waitForResponder({ kind: 'responder' });
    return 'a responder closed it';
  },
});

export default {
  ...manualIncident,
  // Runs started before one lifecycle had an input of their own, and replay on the code they ran on.
  workflow: (input: PlaybookInput | ManualIncidentInput) => ('reportedBy' in input ? legacyManualIncident(input) : manualIncident.workflow(input)),
};
