import { z } from 'zod';
import { CLASSIFICATIONS } from '../../../../lib/domain/classification';
import { INCIDENT_STATUSES, SEVERITIES } from '../../../../lib/domain/incident';
import type { ApprovalOutcome } from '../../../../lib/postmortem/approvals';
import type { PlaybookOutcome } from '../../../../lib/postmortem/automation';
import { REVIEW_STATES } from '../../../../lib/postmortem/review';
import { SLA_MEASURES } from '../../../../lib/sla/policy';
import { enumOf, uuidSchema } from '../../common/openapi/schemas';

const time = z.string().nullable();
const ms = z.number().nullable();

const linkedIncident = z.object({
  incidentId: uuidSchema,
  relation: z.string().describe('From this incident\'s side: related, caused-by, causes, duplicate-of, duplicated-by.'),
  title: z.string(),
  status: z.enum(INCIDENT_STATUSES),
  reason: z.string().nullable(),
  by: z.string().nullable().describe('Who linked or merged them (null: not recorded).'),
  at: time,
});

/** What ?format=json answers (lib/postmortem/model.ts Postmortem); nested lists may grow fields. */
export const postmortemSchema = z
  .object({
    generatedAt: z.string(),
    incident: z.object({
      id: uuidSchema,
      workflowId: z.string(),
      title: z.string(),
      playbook: z.string(),
      playbookVersion: z.string(),
      startedBuild: z.string().nullable().describe('The build (worker version) its run started on.'),
      runningBuild: z.string().nullable().describe('The build that ran it last.'),
      status: z.enum(INCIDENT_STATUSES),
      severity: z.enum(SEVERITIES),
      entity: z.string().nullable(),
    }),
    summary: z.object({
      openedBy: z.string().nullable(),
      opening: z.string().nullable(),
      closed: z.boolean(),
      closedBy: z.string().nullable(),
      acknowledgedBy: z.string().nullable().describe('Who acknowledged it first: a person (API, CLI, web, Slack, pager), never the playbook.'),
      closing: z.string().nullable(),
      classification: z
        .object({ classification: z.enum(CLASSIFICATIONS), label: z.string(), reason: z.string(), by: z.string().describe("A person, or 'automation' when the playbook resolved it by itself.") })
        .nullable()
        .describe('What it was, as whoever closed it said; null: not classified.'),
    }),
    owner: z
      .object({
        assignee: z.string().nullable().describe('Its owner now: a person in runbooks/people.yaml; null: nobody.'),
        assignments: z.array(
          z.object({
            at: z.string(),
            by: z.string().describe("Who did it: a person, or 'palisade' for an assignment rule."),
            how: z.string().describe('assign, take, unassign, or rule (runbooks/assignment.yaml on open).'),
            assignee: z.string().nullable(),
            previous: z.string().nullable(),
            reason: z.string().nullable(),
            summary: z.string(),
          }),
        ),
      })
      .describe('Who owns it, and each incident.assigned event, oldest first.'),
    impact: z.object({
      entity: z.string().nullable(),
      severity: z.enum(SEVERITIES),
      initialSeverity: z.enum(SEVERITIES).nullable(),
      severityChanges: z.array(z.object({ at: z.string(), from: z.string(), to: z.string(), why: z.string() })),
      alertCount: z.number().int(),
      sources: z.array(z.string()),
      firstAlertAt: time,
      lastAlertAt: time,
      alerts: z.array(z.object({ title: z.string(), source: z.string(), severity: z.string(), observedAt: time })),
    }),
    times: z.object({ startedAt: time, openedAt: time, acknowledgedAt: time, containedAt: time, resolvedAt: time, closedAt: time }),
    durations: z.object({ toDetectMs: ms, toAcknowledgeMs: ms, toContainMs: ms, toResolveMs: ms, toCloseMs: ms, waitingForApprovalMs: z.number() }),
    sla: z
      .array(
        z.object({
          measure: z.enum(SLA_MEASURES),
          target: z.string(),
          targetMs: z.number().int(),
          rule: z.string().describe('The runbooks/sla.yaml entry it came from, e.g. high or host-compromise/high.'),
          dueAt: z.string(),
          reachedAt: time,
          tookMs: ms,
          state: z.enum(['met', 'missed', 'pending']),
        }),
      )
      .describe('Each SLA target that applies (runbooks/sla.yaml), judged as GET /incidents and GET /reports/response-times judge it; empty: none applies.'),
    links: z
      .object({
        duplicateOf: linkedIncident.nullable().describe('The incident it was merged into as a duplicate; null: not merged.'),
        mergedIn: z.array(linkedIncident).describe('Duplicates merged into this one.'),
        related: z.array(linkedIncident).describe('Its other links (POST /incidents/:id/links).'),
      })
      .describe('Related incidents and merges.'),
    review: z
      .object({
        state: z.enum(REVIEW_STATES),
        revision: z.number().int(),
        signOffs: z.array(z.object({ reviewer: z.string(), signedAt: z.string() })),
        published: z.object({ revision: z.number().int(), publishedAt: z.string() }).nullable(),
      })
      .nullable()
      .describe("The review's state (GET /postmortems/:id has all of it); null: nobody has written on it yet."),
    notes: z.array(z.object({ at: z.string(), author: z.string(), text: z.string() })).describe('Responders’ notes (POST /incidents/:id/notes), oldest first.'),
    approvals: z.array(
      z.looseObject({
        gateId: z.string(),
        step: z.string(),
        outcome: enumOf<ApprovalOutcome>()(['approved', 'denied', 'expired', 'paused', 'withdrawn', 'open']),
        requestedAt: z.string(),
        decidedAt: time,
        decidedBy: z.array(z.string()),
        votes: z.array(z.looseObject({ approver: z.string(), decision: z.string(), at: z.string() })),
      }),
    ),
    automation: z.looseObject({
      playbook: z.object({ outcome: enumOf<PlaybookOutcome>()(['completed', 'failed', 'stopped', 'running']), at: time, summary: z.string().nullable(), failedStep: z.string().nullable() }),
      steps: z.array(z.looseObject({ name: z.string(), outcome: z.string() })),
      failedSteps: z.array(z.looseObject({ name: z.string(), outcome: z.string() })),
      compensations: z.array(z.looseObject({ name: z.string(), outcome: z.enum(['succeeded', 'failed', 'running']) })),
      counts: z.record(z.string(), z.number().int()),
    }),
    timeline: z.array(z.object({ sequence: z.number().int(), at: z.string(), type: z.string(), actor: z.string(), summary: z.string() })),
    actionItems: z.array(z.string()),
    notices: z
      .array(
        z.object({
          vendor: z.string(),
          kind: z.enum(['page', 'ticket', 'chat']),
          target: z.string(),
          status: z.string(),
          externalId: z.string().nullable(),
          externalUrl: z.string().nullable(),
          sentAt: time,
          acknowledgedBy: z.string().nullable(),
          acknowledgedAt: time,
          resolvedAt: time,
        }),
      )
      .optional()
      .describe('Every page and ticket sent for the incident (runbooks/paging.yaml), with who acknowledged it and when.'),
  })
  .meta({ id: 'Postmortem' });
