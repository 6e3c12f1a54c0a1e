import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { INCIDENT_STATUSES, SEVERITIES } from '../../../../lib/domain/incident';
import { SOURCES } from '../../../../lib/intake/alert';

/** "a,b" or a repeated parameter → a list of allowed values. */
const listOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1))
    .optional();

export const listIncidentsSchema = z.object({
  status: listOf(INCIDENT_STATUSES).describe(`Any of ${INCIDENT_STATUSES.join(', ')} (comma-separated).`),
  severity: listOf(SEVERITIES).describe(`Any of ${SEVERITIES.join(', ')} (comma-separated).`),
  playbook: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))
    .optional()
    .describe('Any of these playbooks (comma-separated).'),
  entity: z.string().trim().min(1).max(300).optional().describe('Entity key; * is a wildcard, e.g. "host:web-*".'),
  source: z.enum(SOURCES).optional().describe('Incidents with at least one alert from this source.'),
  since: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date-time, e.g. 2026-11-20T00:00:00Z' }).optional().describe('Detected at or after.'),
  until: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date-time, e.g. 2026-11-21T00:00:00Z' }).optional().describe('Detected before.'),
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('At most this many incidents (1–200).'),
  cursor: z.string().max(200).optional().describe('nextCursor from the previous page.'),
});

export class ListIncidentsDto extends createZodDto(listIncidentsSchema) {}
