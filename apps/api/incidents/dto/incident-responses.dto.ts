import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';
import { CLASSIFICATIONS } from '../../../../lib/domain/classification';
import { SLA_MEASURES } from '../../../../lib/sla/policy';
import { INCIDENT_STATUSES, SEVERITIES } from '../../../../lib/domain/incident';
import { TIMELINE_EVENT_TYPES } from '../../../../lib/domain/timeline';
import { ALERT_SEVERITIES, SOURCES } from '../../../../lib/intake/alert';
import { gateStateSchema, playbookPhaseSchema } from '../../approvals/dto/approval-responses.dto';
import { componentRef } from '../../common/openapi/api-decorators';
import { openApiSchema, timeSchema, uuidSchema } from '../../common/openapi/schemas';
import { incidentLinkSchema } from './incident-links.dto';

/** The incidents projection (Postgres), as every incident route shows it. */
const incidentFields = {
  id: uuidSchema,
  workflowId: z.string(),
  title: z.string(),
  severity: z.enum(SEVERITIES),
  status: z.enum(INCIDENT_STATUSES),
  playbook: z.string(),
  playbookVersion: z.string().describe("The playbook declaration's label for people."),
  startedBuild: z.string().nullable().describe('The build (worker version: a hash of the workflow code) the run started on; null before its first step, or for a run from before builds were recorded.'),
  runningBuild: z.string().nullable().describe('The build running it now: Worker Versioning moves an open run to a newly promoted build at its next workflow task.'),
  stuckSince: timeSchema.nullable().describe("Since when the run is stuck: its workflow task keeps failing (a change without patched(), a bug). Clears itself once a worker takes it again."),
  stuckReason: z.string().nullable().describe('The failing workflow task: its error and the build it failed on.'),
  entity: z.string().nullable(),
  duplicateOf: uuidSchema.nullable().describe('Merged as a duplicate into this incident (POST /incidents/:id/merge); null otherwise.'),
  alertCount: z.number().int(),
  sources: z.array(z.enum(SOURCES)),
  firstAlertAt: timeSchema.nullable(),
  lastAlertAt: timeSchema.nullable(),
  detectedAt: timeSchema,
  assignee: z.string().nullable().describe('Who owns it: a person of runbooks/people.yaml (their id); null: nobody yet.'),
  tags: z.array(z.string()).describe('Tags given by hand (PATCH /incidents/:id).'),
  acknowledgedAt: timeSchema.nullable(),
  containedAt: timeSchema.nullable(),
  resolvedAt: timeSchema.nullable(),
  classification: z.enum(CLASSIFICATIONS).nullable().describe('What it was, as whoever closed it said; null while open (or closed before classifications were recorded).'),
  classificationReason: z.string().nullable(),
  classifiedBy: z.string().nullable().describe("The person who classified it, or 'automation' when its playbook resolved it by itself."),
  createdAt: timeSchema,
  updatedAt: timeSchema,
  sla: z
    .object({
      measure: z.enum(SLA_MEASURES),
      target: z.string().describe('The policy\'s target, e.g. 30m.'),
      dueAt: timeSchema,
      timeLeftMs: z.number().int().describe('Negative: overdue (an sla.breached event is on the timeline).'),
    })
    .nullable()
    .describe('The next SLA target (runbooks/sla.yaml) it has not reached and the time left; null when closed or no target applies.'),
};
const incidentSchema = z.object(incidentFields).meta({ id: 'Incident' });

/** The playbook's `state` query while it runs (workflow state: more fields may appear). */
const liveStateSchema = z
  .looseObject({
    incidentId: uuidSchema,
    status: z.enum(INCIDENT_STATUSES),
    alertCount: z.number().int(),
    firstSeen: z.string().nullable(),
    lastSeen: z.string().nullable(),
    sources: z.array(z.enum(SOURCES)),
    maxSeverity: z.enum(ALERT_SEVERITIES),
    playbook: z.string().optional(),
    playbookVersion: z.string().optional(),
    severity: z.enum(SEVERITIES).optional(),
    phase: playbookPhaseSchema.optional(),
    currentStep: z.string().nullable().optional(),
    pendingGates: z.array(gateStateSchema).optional(),
    gates: z.array(gateStateSchema).optional(),
    results: z.record(z.string(), z.unknown()).optional().describe('What each finished step returned, by step name.'),
    undo: z.object({ steps: z.array(z.string()), gateId: z.string() }).optional().describe('Containment a cancel would undo, and the gate it would ask at first.'),
  })
  .meta({ id: 'LiveState' });

export const incidentListSchema = z
  .object({
    incidents: z.array(incidentSchema),
    nextCursor: z.string().nullable().describe('Pass as ?cursor= for the next page; null on the last.'),
  })
  .meta({ id: 'IncidentList' });

export const incidentDetailSchema = z
  .object({
    ...incidentFields,
    live: liveStateSchema.nullable().describe("The playbook's state query while it runs; null when it does not run, keeps no state, or Temporal or its worker did not answer."),
    liveStatus: z.enum(['running', 'closed', 'unreachable']),
    liveReason: z
      .string()
      .nullable()
      .describe(
        "Why the playbook's state could not be read while liveStatus is unreachable (Temporal or its worker did not answer in time, no worker polls the run's build, the worker failed the state query: its reason); null otherwise.",
      ),
    dispatch: z.object({
      pending: z.number().int().describe('Alerts stored and not yet handed to the playbook.'),
      deadLetters: z.number().int().describe('Alerts Temporal refused for good (POST /incidents/:id/redispatch sends them again).'),
      error: z.string().nullable(),
    }),
    links: z.array(incidentLinkSchema).describe('Related incidents, from this one\'s side (POST /incidents/:id/links, and merges).'),
  })
  .meta({ id: 'IncidentDetail' });

export const incidentStartedSchema = z
  .object({ incidentId: uuidSchema, workflowId: z.string(), links: z.object({ incident: z.string(), timeline: z.string() }) })
  .meta({ id: 'IncidentStarted' });

export const incidentAcknowledgedSchema = z
  .object({
    incidentId: uuidSchema,
    acknowledgedBy: z.string().describe('The person who acknowledged it first (a later acknowledge changes nothing).'),
    acknowledgedAt: z.string().describe('When (ISO 8601, UTC).'),
    pages: z.number().int().min(0).describe('Pages this request asked their vendor to acknowledge (0 when it was already acknowledged, or nothing was paged).'),
  })
  .meta({ id: 'IncidentAcknowledged' });

export const incidentAssignedSchema = z
  .object({
    incidentId: uuidSchema,
    assignee: z.string().nullable().describe('Who owns it now (a people.yaml id); null: nobody.'),
    previous: z.string().nullable().describe('Who owned it before this request.'),
    changed: z.boolean().describe('False when it already was so: nothing written.'),
  })
  .meta({ id: 'IncidentAssigned' });

export const incidentNotedSchema = z
  .object({
    incidentId: uuidSchema,
    noteId: uuidSchema,
    author: z.string().describe('Who wrote it (the token’s person).'),
    at: z.string().describe('When (ISO 8601, UTC).'),
  })
  .meta({ id: 'IncidentNoted' });

const changeValue = z.union([z.string(), z.array(z.string())]);

export const incidentUpdatedSchema = z
  .object({
    incidentId: uuidSchema,
    changes: z
      .array(z.object({ field: z.enum(['tags', 'severity', 'title']), from: changeValue, to: changeValue }))
      .describe('What changed, each also on the timeline (incident.updated); empty when everything already was so.'),
  })
  .meta({ id: 'IncidentUpdated' });

export const incidentResolvingSchema = z.object({ incidentId: uuidSchema, status: z.literal('resolving') }).meta({ id: 'IncidentResolving' });

export const incidentCancellingSchema = z
  .union([
    z.object({ incidentId: uuidSchema, status: z.literal('cancelling') }),
    z.object({
      incidentId: uuidSchema,
      status: z.literal('awaiting-approval'),
      gateId: z.string().describe('Where another approver approves undoing containment.'),
      undo: z.array(z.string()),
      message: z.string(),
    }),
  ])
  .meta({ id: 'IncidentCancelling' });

export const redispatchedSchema = z.object({ incidentId: uuidSchema, requeued: z.number().int() }).meta({ id: 'Redispatched' });

const timelineEventSchema = z
  .object({
    id: z.string(),
    incidentId: uuidSchema,
    sequence: z.number().int(),
    type: z.enum(TIMELINE_EVENT_TYPES),
    occurredAt: timeSchema,
    actor: z.string(),
    summary: z.string(),
    data: z.record(z.string(), z.unknown()),
    recordedAt: timeSchema,
  })
  .meta({ id: 'TimelineEvent' });

const json = (contentSchema: object) => ({ type: 'string', contentMediaType: 'application/json', contentSchema });

/** One server-sent event of GET /incidents/{id}/timeline/stream (timeline-stream.ts), as OpenAPI describes an event. */
export const TIMELINE_STREAM_EVENT = {
  oneOf: [
    {
      type: 'object',
      properties: { event: { const: 'timeline' }, id: { type: 'string', pattern: '^[0-9]+$', description: 'The sequence.' }, data: json(componentRef(timelineEventSchema)) },
      required: ['event', 'id', 'data'],
    },
    {
      type: 'object',
      properties: { event: { const: 'problem' }, data: json(openApiSchema(z.object({ error: z.enum(['token_invalid', 'timeline_unavailable']), message: z.string() }), 'output')) },
      required: ['event', 'data'],
    },
  ],
} as unknown as SchemaObject; // JSON Schema 2020-12 keywords (const, contentSchema) swagger's type lacks

export const timelinePageSchema = z
  .object({
    events: z.array(timelineEventSchema),
    nextCursor: z.number().int().nullable().describe('Pass as ?after= for the next page; null when this page was the last.'),
  })
  .meta({ id: 'TimelinePage' });

export const streamTicketSchema = z
  .object({ ticket: z.string(), expiresAt: timeSchema, url: z.string().describe('The stream URL with the ticket: open it within 30 seconds.') })
  .meta({ id: 'StreamTicket' });
