import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

export const acknowledgeIncidentSchema = z.object({
  note: z.string().trim().min(1).max(2000).optional().describe('Optional: what the responder is doing about it; it goes on the timeline.'),
});

export class AcknowledgeIncidentDto extends createZodDto(acknowledgeIncidentSchema) {}
