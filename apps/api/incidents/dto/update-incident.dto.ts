import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { SEVERITIES } from '../../../../lib/domain/incident';
import { writtenText } from '../../common/text';

/**
 * A tag as sent: 1–64 of letters, digits and : _ . / -, starting with a letter or digit, with any
 * surrounding white space; it is stored trimmed and lower-cased (" PenTest" is "pentest"). The
 * rule is checked on the tag as sent, so the OpenAPI document's pattern says what is accepted.
 */
const TAG_AS_SENT = /^\s*[A-Za-z0-9][A-Za-z0-9:_./-]{0,63}\s*$/;

export const updateIncidentSchema = z
  .object({
    tags: z
      .array(z.string().regex(TAG_AS_SENT, 'a tag is 1–64 of a-z, 0-9 and : _ . / - (e.g. pentest, team:web)').trim().toLowerCase().describe('Stored trimmed and lower-cased.'))
      .max(20)
      .optional()
      .describe('The whole set of tags from now (replaces the old set; [] removes them all).'),
    severity: z.enum(SEVERITIES).optional().describe('The severity from now, up or down.'),
    title: writtenText(500).optional().describe('The title from now (redacted like alert text).'),
    reason: writtenText(2000).describe('Why: it goes on the timeline with each change.'),
  })
  // Naming no field (or only the values it already has) is valid and changes nothing: the answer's `changes` is empty.
  .describe('Any of tags, severity and title, with the reason; a field left out stays as it is.');

export class UpdateIncidentDto extends createZodDto(updateIncidentSchema) {}
