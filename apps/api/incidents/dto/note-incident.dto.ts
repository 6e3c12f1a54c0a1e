import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { writtenText } from '../../common/text';

export const noteIncidentSchema = z.object({
  text: writtenText(10_000).describe('The note: Markdown, shown as text (never rendered as HTML); redacted like alert text.'),
});

export class NoteIncidentDto extends createZodDto(noteIncidentSchema) {}
