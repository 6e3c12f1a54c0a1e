/**
 * Every playbook the engine can start, by the name routing rules use. Workflow types are
 * referenced by name only, so the API never imports workflow code.
 */
export const PLAYBOOKS = {
  triage: { workflowType: 'triageIncident', version: '0.1.0', description: 'Open an incident, gather its alerts, wait for a responder to resolve it.' },
} as const;

export type PlaybookName = keyof typeof PLAYBOOKS;

export function isPlaybook(name: string): name is PlaybookName {
  return Object.hasOwn(PLAYBOOKS, name);
}
