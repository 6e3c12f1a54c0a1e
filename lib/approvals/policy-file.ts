import { z } from 'zod';
import { DURATION_PATTERN } from '../duration';
import { PalisadeError } from '../errors';
import { GATE_FALLBACKS, type GatePolicy } from './gate';
import { readRunbookFile } from '../runbook-file';

const duration = z.string().regex(DURATION_PATTERN, 'must be a duration such as 30s, 15m or 2h');
const names = z.array(z.string().min(1)).default([]);

/** Every field optional: a playbook or gate entry overrides only what it names. */
const policyPatch = z
  .object({
    approvers: z.object({ identities: names, groups: names, roles: names, slackGroups: names }).strict().optional(),
    quorum: z.number().int().min(1).optional(),
    criticalQuorum: z.number().int().min(1).optional(),
    fourEyes: z.boolean().optional(),
    timeout: duration.optional(),
    escalation: z
      .array(
        z
          .object({
            notify: z.string().min(1),
            timeout: duration,
            slack: z.object({ channel: z.string().min(1), mention: z.string().min(1).optional() }).strict().optional(),
            page: z.object({ service: z.string().min(1), via: z.string().min(1).optional() }).strict().optional(),
          })
          .strict(),
      )
      .optional(),
    fallback: z.enum(GATE_FALLBACKS).optional(),
    page: z.string().min(1).optional(),
    slack: z.object({ channel: z.string().min(1), unreachableAfter: duration.default('2m') }).strict().optional(),
  })
  .strict();

const fileSchema = z
  .object({
    defaults: policyPatch.required().partial({ slack: true }),
    playbooks: z
      .record(z.string(), z.object({ defaults: policyPatch.default({}), gates: z.record(z.string(), policyPatch).default({}) }).strict())
      .default({}),
  })
  .strict();

export type ApprovalPolicies = z.infer<typeof fileSchema>;

/** Reads and validates `runbooks/approvals.yaml`; a bad file fails with the field and the reason. */
export function loadApprovalPolicies(file: string): ApprovalPolicies {
  return readRunbookFile(file, fileSchema, (reason) => invalid(file, reason));
}

/** A playbook's gates, resolved: defaults ← playbook defaults ← the gate's own entry. */
export function policiesFor(policies: ApprovalPolicies, playbook: string): { fallback: GatePolicy; gates: Record<string, GatePolicy> } {
  const entry = policies.playbooks[playbook];
  const base: GatePolicy = { ...policies.defaults, ...entry?.defaults };
  const gates = Object.fromEntries(Object.entries(entry?.gates ?? {}).map(([gate, patch]) => [gate, { ...base, ...patch }]));
  return { fallback: base, gates };
}

function invalid(file: string, reason: string): PalisadeError {
  return new PalisadeError('approvals_invalid', `Approval policy file ${file}: ${reason}.`, 'Fix the file (the comment at the top of runbooks/approvals.yaml describes each field) and start again.');
}
