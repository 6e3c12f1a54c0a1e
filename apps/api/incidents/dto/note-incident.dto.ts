import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

export const noteIncidentSchema = z.object({
  text: z.string().trim().min(1).max(10_000).describe('The note: Markdown, shown as text (never rendered as HTML); redacted like alert text.'),
});

export class NoteIncidentDto extends createZodDto(noteIncidentSchema) {}
