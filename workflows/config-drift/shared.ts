// What callers of the config-drift playbook need: its name, version, input and gate.
export const CONFIG_DRIFT = { name: 'config-drift', version: '1.0.0', workflowType: 'configDrift' } as const;

/** Input when started by hand; from a webhook, the alert's resource entity is used. */
export interface ConfigDriftParams {
  resourceId?: string;
}

/** What the `drift-decision` gate asks an approver to choose (the `choice` of an approval). */
export const DRIFT_ACTIONS = ['revert', 'quarantine', 'accept'] as const;
export type DriftAction = (typeof DRIFT_ACTIONS)[number];
