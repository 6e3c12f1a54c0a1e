// What callers of the host-compromise playbook need: its name, version and input.
export const HOST_COMPROMISE = { name: 'host-compromise', version: '1.0.0', workflowType: 'hostCompromise' } as const;

/** Optional input when started by hand (`POST /playbooks/host-compromise/runs`). */
export interface HostCompromiseParams {
  /** The host id or hostname; default: the incident's entity. */
  host?: string;
  /** The image to rebuild from; default: the host's `golden-image` tag, else `golden:latest`. */
  image?: string;
}
