import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { instant } from '../../../../lib/instant';
import { writtenText } from '../../common/text';

const MAX_WINDOW_MS = 30 * 24 * 3600 * 1000;

export const createSuppressionSchema = z
  .object({
    entityPattern: writtenText(300).describe('Entity key or routed entity key; * is a wildcard, e.g. "host:db-*".'),
    startsAt: instant().optional().describe('When the window opens (default: now).'),
    endsAt: instant().describe('When it closes.'),
    reason: writtenText(500).describe('Why (a change ticket, a drill).'),
  })
  .refine((s) => new Date(s.endsAt).getTime() > new Date(s.startsAt ?? Date.now()).getTime(), {
    message: 'must be after startsAt (or after now)',
    path: ['endsAt'],
  })
  .refine((s) => new Date(s.endsAt).getTime() - new Date(s.startsAt ?? Date.now()).getTime() <= MAX_WINDOW_MS, {
    message: 'a window may last at most 30 days',
    path: ['endsAt'],
  });

export class CreateSuppressionDto extends createZodDto(createSuppressionSchema) {}

export const listSuppressionsSchema = z.object({
  all: z
    .enum(['true', 'false'], { message: "expected 'true' or 'false'" })
    .default('false')
    .transform((v) => v === 'true')
    .describe('true: include closed and deleted windows.'),
});

export class ListSuppressionsDto extends createZodDto(listSuppressionsSchema) {}
