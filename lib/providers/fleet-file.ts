import { z } from 'zod';
import { PalisadeError } from '../errors';
import { instant } from '../instant';
import { CRITICALITIES, ENVIRONMENTS, IDENTITY_LIST_MAX, MFA_STATES } from './capabilities';
import { readRunbookFile } from '../runbook-file';

const id = z.string().min(1);
const settings = z.record(z.string(), z.unknown());

export const fleetHostSchema = z
  .object({
    id,
    /** Defaults to the id. */
    hostname: id.optional(),
    owner: id,
    environment: z.enum(ENVIRONMENTS),
    criticality: z.enum(CRITICALITIES),
    tags: z.record(z.string(), z.string()).default({}),
    isolated: z.boolean().default(false),
    online: z.boolean().default(true),
    image: id.default('golden-base'),
    /** Ids of patches already applied. */
    patches: z.array(id).default([]),
  })
  .strict();

export const fleetUsageSchema = z
  .object({ at: instant(), action: id, sourceIp: id, unusual: z.boolean().default(false) })
  .strict();

export const fleetCredentialSchema = z
  .object({
    id,
    type: id,
    /** The keyed fingerprint intake computes for a leaked value (HMAC-SHA256, hex). */
    fingerprint: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters (the keyed SHA-256 intake computes)').optional(),
    last4: z.string().length(4),
    owner: id,
    shared: z.boolean().default(false),
    scope: z.array(id).default([]),
    dependents: z.array(id).default([]),
    status: z.enum(['active', 'revoked']).default('active'),
    usage: z.array(fleetUsageSchema).default([]),
  })
  .strict();

export const fleetAccountSchema = z
  .object({
    id,
    /** Defaults to the id. */
    displayName: id.optional(),
    /** Whom a responder tells (the account's owner or manager). */
    owner: id,
    privileged: z.boolean().default(false),
    groups: z.array(id).max(IDENTITY_LIST_MAX).default([]),
    policies: z.array(id).max(IDENTITY_LIST_MAX).default([]),
    mfa: z.enum(MFA_STATES).default('unknown'),
    lastSignIn: instant().optional(),
    status: z.enum(['enabled', 'disabled']).default('enabled'),
    /** False: no password (a service account, or console access removed). */
    password: z.boolean().default(true),
    /** Open sign-in sessions and refresh tokens. */
    sessions: z.number().int().min(0).max(1_000_000).default(0),
    keys: z
      .array(z.object({ id, status: z.enum(['active', 'inactive']).default('active') }).strict())
      .max(IDENTITY_LIST_MAX)
      .default([]),
  })
  .strict();

export const fleetResourceSchema = z
  .object({ id, kind: id, baseline: settings, current: settings.optional(), quarantined: z.boolean().default(false) })
  .strict();

export const fleetPatchSchema = z
  .object({ id, breaksSli: id.optional(), degradedValue: z.number().optional() })
  .strict()
  .refine((p) => (p.breaksSli === undefined) === (p.degradedValue === undefined), 'breaksSli and degradedValue go together');

const fileSchema = z
  .object({
    hosts: z.array(fleetHostSchema).default([]),
    credentials: z.array(fleetCredentialSchema).default([]),
    accounts: z.array(fleetAccountSchema).default([]),
    resources: z.array(fleetResourceSchema).default([]),
    patches: z.array(fleetPatchSchema).default([]),
    /** Baseline value of each SLI while nothing is broken. */
    slis: z.record(z.string(), z.number()).default({}),
  })
  .strict();

export type FleetFile = z.infer<typeof fileSchema>;
export type FleetHost = z.infer<typeof fleetHostSchema>;
export type FleetCredential = z.infer<typeof fleetCredentialSchema>;
export type FleetUsage = z.infer<typeof fleetUsageSchema>;
export type FleetAccount = z.infer<typeof fleetAccountSchema>;
export type FleetResource = z.infer<typeof fleetResourceSchema>;
export type FleetPatch = z.infer<typeof fleetPatchSchema>;

/** Reads and validates `runbooks/fleet.yaml`, the simulated vendor's starting state. */
export function loadFleetFile(file: string): FleetFile {
  const parsed = readRunbookFile(file, fileSchema, (reason) => invalid(file, reason));
  for (const section of ['hosts', 'credentials', 'accounts', 'resources', 'patches'] as const) {
    const seen = new Set<string>();
    for (const [i, row] of parsed[section].entries()) {
      if (seen.has(row.id)) throw invalid(file, `${section}.${i}.id: '${row.id}' is listed twice`);
      seen.add(row.id);
    }
  }
  const hostnames = new Set<string>();
  for (const [i, host] of parsed.hosts.entries()) {
    const hostname = host.hostname ?? host.id;
    if (hostnames.has(hostname)) throw invalid(file, `hosts.${i}.hostname: '${hostname}' is used by two hosts`);
    hostnames.add(hostname);
  }
  return parsed;
}

function invalid(file: string, reason: string): PalisadeError {
  return new PalisadeError('fleet_invalid', `Fleet file ${file}: ${reason}.`, 'Fix the file (the comment at the top of runbooks/fleet.yaml describes each section) and seed again.');
}
