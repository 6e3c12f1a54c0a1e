import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { INCIDENT_STATUSES, SEVERITIES } from '../../../../lib/domain/incident';
import { instant } from '../../../../lib/instant';
import { SOURCES } from '../../../../lib/intake/alert';
import { writtenText } from '../../common/text';

/** A repeated parameter, or "a,b", as the list of its values (what the document declares: an array). */
const splitList = (v: unknown): unknown[] =>
  (Array.isArray(v) ? (v as unknown[]) : [v]).flatMap((s) => (typeof s === 'string' ? s.split(',').map((p) => p.trim()) : [s])).filter((s) => s !== '');

/** At most this many values in one filter: a URL has 16 KB at most. */
const MAX_VALUES = 20;

/** "a,b" or a repeated parameter → a list of allowed values. */
const listOf = <T extends readonly [string, ...string[]]>(values: T) => z.preprocess(splitList, z.array(z.enum(values)).min(1).max(MAX_VALUES)).optional();

export const listIncidentsSchema = z.object({
  status: listOf(INCIDENT_STATUSES).describe(`Any of ${INCIDENT_STATUSES.join(', ')} (comma-separated).`),
  severity: listOf(SEVERITIES).describe(`Any of ${SEVERITIES.join(', ')} (comma-separated).`),
  playbook: z
    .preprocess(splitList, z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected a playbook name, e.g. host-compromise')).min(1).max(MAX_VALUES))
    .optional().describe('Any of these playbooks (comma-separated).'),
  entity: writtenText(300).optional().describe('Entity key; * is a wildcard, e.g. "host:web-*".'),
  source: z.enum(SOURCES).optional().describe('Incidents with at least one alert from this source.'),
  since: instant('2026-11-20T00:00:00Z').optional().describe('Detected at or after.'),
  until: instant('2026-11-21T00:00:00Z').optional().describe('Detected before.'),
  assignee: writtenText(200).optional().describe("Incidents this person owns: `me` (the token's person) or a people.yaml id or email."),
  unassigned: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('true: incidents nobody owns; false: incidents someone owns.'),
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('At most this many incidents (1–200).'),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, 'expected nextCursor from the previous page')
    .optional()
    .describe('nextCursor from the previous page.'),
});

export class ListIncidentsDto extends createZodDto(listIncidentsSchema) {}
