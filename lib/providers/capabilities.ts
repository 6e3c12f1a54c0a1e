/**
 * What playbooks may ask of the outside world, one capability at a time. A playbook asks to
 * "isolate a host", never "call CrowdStrike": `runbooks/providers.yaml` picks the vendor.
 * These are plain types and names, safe to import from workflow code.
 */
export enum Capability {
  Inventory = 'inventory',
  HostIsolation = 'hostIsolation',
  Evidence = 'evidence',
  Credentials = 'credentials',
  Identity = 'identity',
  ConfigBaseline = 'configBaseline',
  Patching = 'patching',
  Metrics = 'metrics',
  Notify = 'notify',
  /** The code host whose secret scanning raised a leak: read the leaked secret, close the alert. */
  SecretScanning = 'secretScanning',
  /** Pages for incidents runbooks/paging.yaml says page (PagerDuty): triggered, acknowledged, resolved with the incident. */
  Paging = 'paging',
  /** Tickets for incidents runbooks/paging.yaml says ticket (Jira): opened once, commented, closed with the incident. */
  Ticketing = 'ticketing',
}

export const CAPABILITIES = Object.values(Capability);

/**
 * Passed with every provider call. The key is derived from the incident and the step, so a
 * retried or replayed call (worker killed mid-step) is recognised and not applied twice.
 */
export interface ProviderCall {
  idempotencyKey: string;
  incidentId: string;
}

/** Error types providers raise (as ApplicationFailure types); playbooks match on these, never on messages. */
export enum ProviderErrorType {
  /** The host agent did not answer: worth retrying. */
  AgentOffline = 'AgentOffline',
  /** The vendor asked us to slow down (details carry retryAfterMs): worth retrying. */
  Throttled = 'Throttled',
  /** A transient vendor failure: worth retrying. */
  Unavailable = 'Unavailable',
  /** The target does not exist: retrying will not help. */
  NotFound = 'NotFound',
  /** The provider's credentials may not do this: retrying will not help. */
  Denied = 'Denied',
  /** The request itself is wrong: retrying will not help. */
  Invalid = 'Invalid',
}

export const NON_RETRYABLE_PROVIDER_ERRORS: readonly string[] = [ProviderErrorType.NotFound, ProviderErrorType.Denied, ProviderErrorType.Invalid];

// ── inventory ───────────────────────────────────────────────────────────────────────────
export const ENVIRONMENTS = ['production', 'staging', 'development', 'unknown'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const CRITICALITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Criticality = (typeof CRITICALITIES)[number];

export interface HostInfo {
  hostId: string;
  hostname: string;
  owner: string;
  environment: Environment;
  criticality: Criticality;
  /** False when the inventory has never heard of the host (treat as production). */
  known: boolean;
  tags: Record<string, string>;
}

export interface HostSelector {
  hostIds?: string[];
  environment?: Environment;
  /** Every tag must match. */
  tags?: Record<string, string>;
}

// ── host isolation and evidence ─────────────────────────────────────────────────────────
export interface IsolationResult {
  hostId: string;
  isolated: boolean;
  /** How the vendor did it (e.g. "quarantine security group", "EDR network containment"). */
  method: string;
  at: string;
}

export interface EvidenceResult {
  hostId: string;
  /** Snapshot or artifact ids, as the vendor names them. */
  artifacts: string[];
  at: string;
}

export interface ReplaceResult {
  hostId: string;
  /** The host that replaces it (may equal hostId when rebuilt in place). */
  replacementId: string;
  image: string;
  at: string;
}

// ── credentials ─────────────────────────────────────────────────────────────────────────
/** A leaked credential as Palisade knows it: never the value. */
export interface CredentialRef {
  type: string;
  fingerprint: string;
  last4: string;
}

export interface CredentialInfo {
  credentialId: string;
  type: string;
  owner: string;
  /** Used by more than one service or person: revoking it at once may break others. */
  shared: boolean;
  scope: string[];
  /** Services that read it and must get the rotated value. */
  dependents: string[];
  status: 'active' | 'revoked';
}

export interface CredentialUsage {
  at: string;
  action: string;
  sourceIp: string;
  /** True when the use came from somewhere the credential's owner does not work from. */
  unusual: boolean;
}

export interface RotationResult {
  credentialId: string;
  newCredentialId: string;
  updatedDependents: string[];
  at: string;
}

// ── identity ────────────────────────────────────────────────────────────────────────────
export const MFA_STATES = ['enabled', 'disabled', 'unknown'] as const;
export type MfaState = (typeof MFA_STATES)[number];

/** At most this many groups, policies or keys in a result: it lands in the run's history. */
export const IDENTITY_LIST_MAX = 50;

/** A person's or a service's account (an IAM user, a directory user) as a takeover response needs it. */
export interface AccountInfo {
  /** As the vendor names it (IAM user name, user principal name); the id every other call takes. */
  accountId: string;
  displayName: string;
  /** Whom to tell: the account's owner or manager as the directory records them, or 'unknown'. */
  owner: string;
  /** An administrator or otherwise privileged: acting on it deserves a second approver. */
  privileged: boolean;
  /** Why it counts as privileged (e.g. "AdministratorAccess via group admins"); empty when it does not. */
  privilegedBy: string[];
  groups: string[];
  /** Policies or roles given to the account itself (managed and inline), Palisade's own left out. */
  policies: string[];
  mfa: MfaState;
  /** Last interactive sign-in, when the vendor records it. */
  lastSignIn: string | null;
  status: 'enabled' | 'disabled';
  /** False when no directory knows the account (then treated as privileged). */
  known: boolean;
}

/** An account nobody knows: treated as privileged, as an unknown host is treated as production. */
export function unknownAccount(accountId: string, where: string): AccountInfo {
  return {
    accountId,
    displayName: accountId,
    owner: 'unknown',
    privileged: true,
    privilegedBy: [`unknown to ${where}`],
    groups: [],
    policies: [],
    mfa: 'unknown',
    lastSignIn: null,
    status: 'enabled',
    known: false,
  };
}

export interface SessionRevocation {
  accountId: string;
  /** Sessions, refresh tokens and temporary credentials issued before this instant no longer work. */
  revokedBefore: string;
  method: string;
  at: string;
}

export interface KeysDeactivated {
  accountId: string;
  /** Ids of the long-lived keys this call deactivated (never their secrets). */
  deactivated: string[];
  at: string;
}

export interface AccountStatusChange {
  accountId: string;
  status: 'enabled' | 'disabled';
  /** What was done, in a sentence for the timeline. */
  method: string;
  at: string;
}

export interface CredentialReset {
  accountId: string;
  /** False when the account has no password to reset (console access removed, or never given). */
  reset: boolean;
  method: string;
  at: string;
}

// ── configuration baselines ─────────────────────────────────────────────────────────────
export interface ConfigSnapshot {
  resourceId: string;
  kind: string;
  settings: Record<string, unknown>;
  at: string;
}

// ── patching and metrics ────────────────────────────────────────────────────────────────
export interface PatchResult {
  patchId: string;
  patched: string[];
  failed: { hostId: string; error: string }[];
  at: string;
}

export interface SliQuery {
  /** The SLI's name, e.g. "error_rate" or "latency_p99_ms". */
  sli: string;
  /** Limit to these hosts (the wave just patched). */
  hostIds?: string[];
  /** Look-back window, e.g. "5m". */
  window?: string;
}

export interface SliReading {
  sli: string;
  value: number;
  samples: number;
  at: string;
}

// ── notify ──────────────────────────────────────────────────────────────────────────────
export interface Notification {
  /** A person, group or channel, as the notify vendor names it (e.g. "secops-oncall"). */
  to: string;
  kind: 'notify' | 'escalate' | 'page';
  subject: string;
  body: string;
}

export interface NotificationReceipt {
  messageId: string;
  at: string;
}
