import { z } from 'zod';
import { GATE_FALLBACKS, type GateDecision, type GateStatus } from '../../../../lib/approvals/gate';
import type { PlaybookPhase } from '../../../../workflows/shared/messages';
import { enumOf, uuidSchema } from '../../common/openapi/schemas';

export const gateStatusSchema = enumOf<GateStatus>()(['open', 'paused', 'approved', 'denied', 'expired', 'withdrawn']);
export const playbookPhaseSchema = enumOf<PlaybookPhase>()(['running', 'waiting-approval', 'failed', 'stopped', 'done']);
const decisionSchema = enumOf<GateDecision>()(['approve', 'deny']);

/** A vote as the playbook recorded it (workflow state: more fields may appear). */
const recordedVoteSchema = z
  .looseObject({
    approverId: z.string(),
    decision: decisionSchema,
    choice: z.string().optional(),
    reason: z.string(),
    via: z.enum(['api', 'cli', 'slack', 'web']),
    slackUserId: z.string().optional(),
    token: z.looseObject({ id: z.string(), createdBy: z.string(), bound: z.union([z.enum(['made', 'claimed', 'gameday']), z.literal(false)]) }).optional(),
    at: z.string(),
  })
  .meta({ id: 'RecordedVote' });

/** Who may decide a gate (runbooks/approvals.yaml). */
const approverRuleSchema = z
  .looseObject({
    identities: z.array(z.string()),
    groups: z.array(z.string()),
    roles: z.array(z.string()),
    slackGroups: z.array(z.string()).optional(),
  })
  .meta({ id: 'ApproverRule' });

/** A gate as its playbook holds it (the `state` query; workflow state: more fields may appear). */
export const gateStateSchema = z
  .looseObject({
    id: z.string(),
    step: z.string(),
    summary: z.string(),
    critical: z.boolean(),
    requestedBy: z.string(),
    requestedAt: z.string(),
    deadline: z.string().nullable(),
    expiresAt: z.string().nullable(),
    tier: z.number().int(),
    status: gateStatusSchema,
    votes: z.array(recordedVoteSchema),
    policy: z.looseObject({ approvers: approverRuleSchema, quorum: z.number().int(), fallback: z.enum(GATE_FALLBACKS) }),
    needed: z.number().int(),
    options: z.array(z.string()).optional(),
    choice: z.string().optional(),
    decidedAt: z.string().optional(),
  })
  .meta({ id: 'GateState' });

/** A gate as GET /incidents/:id/approvals shows it (gate-views.ts). */
const gateViewSchema = z
  .object({
    id: z.string(),
    step: z.string(),
    summary: z.string(),
    status: gateStatusSchema,
    critical: z.boolean(),
    requestedBy: z.string(),
    requestedAt: z.string(),
    votes: z.array(recordedVoteSchema),
    approvals: z.number().int(),
    needed: z.number().int(),
    options: z.array(z.string()).optional().describe('What an approval may choose between; absent for a plain yes/no gate.'),
    choice: z.string().optional().describe('The option chosen, once approved.'),
    deadline: z.string().nullable().describe('When the current tier times out (null while paused).'),
    expiresAt: z.string().nullable().describe('When the fallback applies (null when it is pause).'),
    fallback: z.enum(GATE_FALLBACKS),
    approvers: approverRuleSchema,
    whoMayDecide: z.string(),
  })
  .meta({ id: 'GateView' });

export const approvalsSchema = z
  .object({
    incidentId: uuidSchema,
    phase: playbookPhaseSchema.nullable(),
    currentStep: z.string().nullable(),
    gates: z.array(gateViewSchema).describe('Waiting gates first; empty for a playbook without gates.'),
  })
  .meta({ id: 'Approvals' });

export const gateVerdictSchema = z
  .object({
    incidentId: uuidSchema,
    gateId: z.string(),
    outcome: z.enum(['pending', 'approved', 'denied']),
    approvals: z.number().int(),
    needed: z.number().int(),
  })
  .meta({ id: 'GateVerdict' });
