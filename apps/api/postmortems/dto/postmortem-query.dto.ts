import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { POSTMORTEM_FORMATS } from '../../../../lib/postmortem/render';

export const postmortemQuerySchema = z.object({
  format: z
    .enum(POSTMORTEM_FORMATS, { message: "expected 'md', 'html' or 'json'" })
    .default('md')
    .describe('md: Markdown (default); html: a standalone page for printing; json: the computed numbers and lists.'),
});

export class PostmortemQueryDto extends createZodDto(postmortemQuerySchema) {}
