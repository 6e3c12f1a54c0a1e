import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { writtenText } from '../../common/text';

export const acknowledgeIncidentSchema = z.object({
  note: writtenText(2000).optional().describe('Optional: what the responder is doing about it; it goes on the timeline.'),
});

export class AcknowledgeIncidentDto extends createZodDto(acknowledgeIncidentSchema) {}
