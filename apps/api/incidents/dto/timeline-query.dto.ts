import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

/** The largest sequence number a timeline holds (a Postgres integer). */
const MAX_SEQUENCE = 2_147_483_647;

export const timelineQuerySchema = z.object({
  after: z.coerce.number().int().min(0).max(MAX_SEQUENCE).default(0).describe('Return events after this sequence number.'),
  limit: z.coerce.number().int().min(1).max(500).default(100).describe('At most this many events.'),
  format: z.enum(['json', 'ndjson'], { message: "expected 'json' or 'ndjson'" }).default('json').describe('ndjson: one event per line.'),
});

export class TimelineQueryDto extends createZodDto(timelineQuerySchema) {}
