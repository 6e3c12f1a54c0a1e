import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

export const resolveIncidentSchema = z.object({
  reason: z.string().trim().min(1).max(2000).describe('Why the incident is resolved: it goes on the timeline.'),
});

export class ResolveIncidentDto extends createZodDto(resolveIncidentSchema) {}
