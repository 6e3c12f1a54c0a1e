import { z } from 'zod';
import { CONFIG_DRIFT } from '../workflows/config-drift/shared';
import { HOST_COMPROMISE } from '../workflows/host-compromise/shared';
import { PATCH_CANARY } from '../workflows/patch-canary/shared';
import { SECRET_LEAK } from '../workflows/secret-leak/shared';
import { DURATION_PATTERN } from './duration';
import type { AlertEntity } from './intake/alert';
import { ENVIRONMENTS } from './providers/capabilities';

/** How a responder starts a playbook by hand: its params schema, and the entity the run is about. */
export interface ManualStart<P extends z.ZodType = z.ZodType> {
  params: P;
  entity: (params: z.infer<P>) => AlertEntity;
  title: (params: z.infer<P>) => string;
}

const manual = <P extends z.ZodType>(m: ManualStart<P>) => m as unknown as ManualStart;
const hex = z.string().regex(/^[0-9a-f]{16,128}$/, 'must be the hex fingerprint Palisade showed for the secret');

/**
 * Every playbook the engine can start, by the name routing rules and the API use. Workflow
 * types are referenced by name only, so the API never imports workflow code; each version is
 * the one its workflow folder exports.
 */
export const PLAYBOOKS = {
  triage: {
    workflowType: 'triageIncident',
    version: '0.1.0',
    description: 'Open an incident, gather its alerts, wait for a responder to resolve it.',
    manual: undefined,
  },
  'host-compromise': {
    workflowType: HOST_COMPROMISE.workflowType,
    version: HOST_COMPROMISE.version,
    description: 'Enrich, preserve evidence, isolate (approval for production), verify, notify the owner, replace from the golden image (approval).',
    manual: manual({
      params: z.object({ host: z.string().min(1), image: z.string().min(1).optional() }).strict(),
      entity: (p) => ({ kind: 'host', key: p.host, display: p.host }),
      title: (p) => `Suspected compromise of ${p.host}`,
    }),
  },
  'secret-leak': {
    workflowType: SECRET_LEAK.workflowType,
    version: SECRET_LEAK.version,
    description: 'Find the leaked credential by fingerprint, revoke it (at once when sure and not shared, else after approval), rotate, search its use, notify the owner.',
    manual: manual({
      params: z
        .object({
          type: z.string().min(1),
          fingerprint: hex,
          last4: z.string().min(1).max(4),
          exposedAt: z.iso.datetime({ offset: true }).optional(),
          confidence: z.enum(['high', 'medium', 'low']).default('medium'),
        })
        .strict(),
      entity: (p) => ({ kind: 'credential', key: `secret:${p.fingerprint}`, display: `${p.type} …${p.last4}` }),
      title: (p) => `Leaked ${p.type} …${p.last4}`,
    }),
  },
  'config-drift': {
    workflowType: CONFIG_DRIFT.workflowType,
    version: CONFIG_DRIFT.version,
    description: 'Compare a resource with its baseline, classify the drift, decide (revert, quarantine or accept), apply, verify.',
    manual: manual({
      params: z.object({ resourceId: z.string().min(1) }).strict(),
      entity: (p) => ({ kind: 'resource', key: p.resourceId, display: p.resourceId }),
      title: (p) => `Configuration drift on ${p.resourceId}`,
    }),
  },
  'patch-canary': {
    workflowType: PATCH_CANARY.workflowType,
    version: PATCH_CANARY.version,
    description: 'Patch in waves (5% → 25% → 100%): bake, check the SLO, approve the next wave; roll every wave back on a breach.',
    manual: manual({
      params: z
        .object({
          patchId: z.string().min(1),
          hosts: z
            .object({ hostIds: z.array(z.string().min(1)).min(1).optional(), environment: z.enum(ENVIRONMENTS).optional(), tags: z.record(z.string(), z.string()).optional() })
            .strict()
            .refine((h) => h.hostIds ?? h.environment ?? h.tags, 'name hostIds, an environment or tags'),
          waves: z
            .array(z.number().int().min(1).max(100))
            .min(1)
            .refine((w) => w.every((v, i) => i === 0 || v > w[i - 1]) && w.at(-1) === 100, 'must rise and end at 100')
            .default([5, 25, 100]),
          bake: z.string().regex(DURATION_PATTERN, 'must be a duration such as 30s, 10m or 1h').default('10m'),
          slo: z.object({ sli: z.string().min(1), max: z.number() }).strict().default({ sli: 'error_rate', max: 0.05 }),
        })
        .strict(),
      entity: (p) => ({ kind: 'resource', key: `patch:${p.patchId}`, display: `patch ${p.patchId}` }),
      title: (p) => `Canary rollout of ${p.patchId}`,
    }),
  },
} as const satisfies Record<string, { workflowType: string; version: string; description: string; manual: ManualStart | undefined }>;

export type PlaybookName = keyof typeof PLAYBOOKS;

export function isPlaybook(name: string): name is PlaybookName {
  return Object.hasOwn(PLAYBOOKS, name);
}
