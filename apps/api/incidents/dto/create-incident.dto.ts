import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { SEVERITIES } from '../../../../lib/domain/incident';
import { writtenText } from '../../common/text';

export const createIncidentSchema = z.object({
  title: writtenText(300).describe('What happened, in one line.'),
  severity: z.enum(SEVERITIES).describe('How bad it is.'),
  entity: writtenText(300).optional().describe('The host, account or resource concerned.'),
});

export class CreateIncidentDto extends createZodDto(createIncidentSchema) {}
