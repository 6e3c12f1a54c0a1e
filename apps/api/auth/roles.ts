/**
 * What an API token may do. Each role includes the ones before it: a responder can read, an
 * approver can also cancel and resolve, an admin can do everything.
 *   viewer     read incidents, timelines, postmortems, playbooks, suppressions
 *   responder  cancel and resolve incidents, start playbook runs, report incidents by hand
 *   approver   vote on approval gates (the gate's policy still decides whose vote counts)
 *   admin      API tokens, suppression windows
 */
export const ROLES = ['viewer', 'responder', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function hasRole(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

/** Who is calling: the token's name is the person (a people.yaml id or email) or the script. */
export interface Caller {
  tokenId: string;
  name: string;
  role: Role;
}
