// What callers of the triage playbook need: the common playbook input (triage adds nothing).
export type { PlaybookInput as TriageInput, StartingBatch as TriageBatch } from '../shared/input';
