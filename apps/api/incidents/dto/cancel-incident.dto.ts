import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

export const cancelIncidentSchema = z.object({
  reason: z.string().trim().min(1).max(2000).describe('Why the incident is cancelled (e.g. a false positive): it goes on the timeline.'),
});

export class CancelIncidentDto extends createZodDto(cancelIncidentSchema) {}
