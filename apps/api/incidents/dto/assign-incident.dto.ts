import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { writtenText } from '../../common/text';

const reason = writtenText(2000).optional().describe('Optional: why; it goes on the timeline.');

export const assignIncidentSchema = z.object({
  assignee: writtenText(200).describe("Who owns it from now: a person's id (or email) in runbooks/people.yaml."),
  reason,
});

/** Take (assign to yourself) and unassign: only an optional reason. */
export const reassignIncidentSchema = z.object({ reason });

export class AssignIncidentDto extends createZodDto(assignIncidentSchema) {}
export class ReassignIncidentDto extends createZodDto(reassignIncidentSchema) {}
