import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { uuidSchema } from '../../common/openapi/schemas';
import { writtenText } from '../../common/text';

export const mergeIncidentSchema = z.strictObject({
  into: uuidSchema.describe('The incident that stays open (the survivor): it receives this one\'s alerts.'),
  undo: z.boolean().default(false).describe('true: the duplicate\'s playbook undoes what it changed, as a cancel does; false (default): it stops and what it did stays done.'),
  reason: writtenText(2000).describe('Why it is a duplicate; it goes on both timelines and closes the duplicate.'),
});
export class MergeIncidentDto extends createZodDto(mergeIncidentSchema) {}
