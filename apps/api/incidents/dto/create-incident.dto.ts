import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { SEVERITIES } from '../../../../lib/domain/incident';

export const createIncidentSchema = z.object({
  title: z.string().trim().min(1).max(300).describe('What happened, in one line.'),
  severity: z.enum(SEVERITIES).describe('How bad it is.'),
  entity: z.string().trim().min(1).max(300).optional().describe('The host, account or resource concerned.'),
});

export class CreateIncidentDto extends createZodDto(createIncidentSchema) {}
