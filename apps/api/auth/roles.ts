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

/**
 * How a token is tied to the person it names: `made` (they made it with a token of their own),
 * `claimed` (with the one-time code Palisade sent them), `gameday` (the game-day exception, on
 * the simulated fleet only), `bootstrap` (PALISADE_BOOTSTRAP_TOKEN); false: someone made it
 * for them and they have not claimed it, so its maker answers for it too.
 */
export type TokenBinding = 'bootstrap' | 'made' | 'claimed' | 'gameday' | false;

/** Who is calling: the token's name is the person (a people.yaml id or email) or the script. */
export interface Caller {
  tokenId: string;
  name: string;
  role: Role;
  bound: TokenBinding;
  /** Who answers for what the token does: its name once bound, otherwise whoever made it (and so on up). */
  principal: string;
  /** The name of the token that made it. */
  createdBy: string;
  purpose: 'person' | 'gameday';
  expiresAt: Date;
}
