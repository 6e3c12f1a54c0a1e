import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { CLASSIFICATION_EXPECTED, CLASSIFICATIONS } from '../../../../lib/domain/classification';
import { writtenText } from '../../common/text';

/** What the incident was: required on a resolve, optional on a cancel (a false positive unless said otherwise). */
export const classificationSchema = z.enum(CLASSIFICATIONS, { message: CLASSIFICATION_EXPECTED });

export const resolveIncidentSchema = z.object({
  classification: classificationSchema.describe(`What the incident was: ${CLASSIFICATIONS.join(', ')}. Alert rules' false-positive rates are computed from it.`),
  reason: writtenText(2000).describe('Why the incident is resolved, and why it is so classified: it goes on the timeline.'),
});

export class ResolveIncidentDto extends createZodDto(resolveIncidentSchema) {}
