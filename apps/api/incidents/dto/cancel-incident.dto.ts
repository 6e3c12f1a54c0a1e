import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { CLASSIFICATIONS } from '../../../../lib/domain/classification';
import { classificationSchema } from './resolve-incident.dto';
import { writtenText } from '../../common/text';

export const cancelIncidentSchema = z.object({
  reason: writtenText(2000).describe('Why the incident is cancelled (e.g. a false positive): it goes on the timeline.'),
  classification: classificationSchema.optional().describe(`What the incident was (${CLASSIFICATIONS.join(', ')}); default false_positive.`),
});

export class CancelIncidentDto extends createZodDto(cancelIncidentSchema) {}
