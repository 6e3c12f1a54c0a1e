import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { uuidSchema } from '../../common/openapi/schemas';
import { LINK_RELATIONS } from '../link-incidents';
import { writtenText } from '../../common/text';

export const linkIncidentSchema = z.strictObject({
  incidentId: uuidSchema.describe('The other incident.'),
  relation: z.enum(LINK_RELATIONS).default('related').describe('From this incident\'s side: related (default), caused-by (this one was caused by the other), causes.'),
  reason: writtenText(2000).optional().describe('Optional: why they are linked; it goes on both timelines.'),
});
export class LinkIncidentDto extends createZodDto(linkIncidentSchema) {}
