import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

const reason = z.string().trim().min(1).max(2000).optional().describe('Optional: why; it goes on the timeline.');

export const assignIncidentSchema = z.object({
  assignee: z.string().trim().min(1).max(200).describe("Who owns it from now: a person's id (or email) in runbooks/people.yaml."),
  reason,
});

/** Take (assign to yourself) and unassign: only an optional reason. */
export const reassignIncidentSchema = z.object({ reason });

export class AssignIncidentDto extends createZodDto(assignIncidentSchema) {}
export class ReassignIncidentDto extends createZodDto(reassignIncidentSchema) {}
