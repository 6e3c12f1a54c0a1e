import { z } from 'zod';
import { INCIDENT_STATUSES } from '../../../../lib/domain/incident';
import { timeSchema, uuidSchema } from '../../common/openapi/schemas';

export const incidentLinkSchema = z
  .object({
    incidentId: uuidSchema,
    relation: z.enum(['related', 'caused-by', 'causes', 'duplicate-of', 'duplicated-by']).describe("From this incident's side."),
    title: z.string(),
    status: z.enum(INCIDENT_STATUSES),
    reason: z.string().nullable(),
    createdBy: z.string(),
    createdAt: timeSchema,
  })
  .meta({ id: 'IncidentLink' });

export const incidentLinkedSchema = z
  .object({ incidentId: uuidSchema, linkedId: uuidSchema, relation: z.string(), created: z.boolean().describe('false: the pair was linked already; nothing changed.') })
  .meta({ id: 'IncidentLinked' });

export const incidentMergedSchema = z
  .object({
    incidentId: uuidSchema,
    into: uuidSchema,
    alertsMoved: z.number().int().describe('Alerts moved to the survivor by this request (0 on a retry).'),
    status: z.enum(['stopping', 'closed', 'awaiting-approval']).describe("stopping: the duplicate's playbook was asked to stop; closed: it had none running and is resolved; awaiting-approval: its undo waits for an approver at gateId."),
    gateId: z.string().optional(),
  })
  .meta({ id: 'IncidentMerged' });
