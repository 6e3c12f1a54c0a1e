import { z } from 'zod';
import { timeSchema } from '../../common/openapi/schemas';

export const deployVersionSchema = z
  .object({
    version: z.string().describe('Its build id.'),
    status: z.string().describe("Temporal's word: inactive, current, ramping, draining, drained."),
    createdAt: timeSchema.nullable(),
    currentSince: timeSchema.nullable(),
    rampingSince: timeSchema.nullable(),
    pollers: z.number().int().describe('Workers of this version polling the task queue for workflow tasks now (a poll within the last 75 s).'),
    lastPollAt: timeSchema.nullable().describe("Its workers' last poll for a workflow task, as Temporal keeps it (up to five minutes); null when none is kept."),
    runningIncidents: z.number().int().describe('Open incidents whose run this version ran last (the projection\'s runningBuild).'),
    codeRegistered: z.boolean().describe('Its worker registered its workflow code, so a promotion can replay open incidents on it.'),
  })
  .meta({ id: 'DeployVersion' });

export const deployStatusSchema = z
  .object({
    deployment: z.string().describe('The worker deployment (PALISADE_DEPLOYMENT_NAME).'),
    current: z.string().nullable().describe('The version new runs start on.'),
    ramping: z.object({ version: z.string(), percent: z.number() }).nullable().describe('A version taking a share of new runs, if any.'),
    updating: z.boolean().describe('A routing change is still reaching the task queues.'),
    rollbackTo: z.string().nullable().describe('The version `rollback` makes current again: the one current before the last promotion or rollback through the API.'),
    versions: z.array(deployVersionSchema),
  })
  .meta({ id: 'DeployStatus' });

const divergenceSchema = z.object({ incidentId: z.string(), workflowId: z.string(), workflowType: z.string(), reason: z.string().optional() });

export const deployChangedSchema = z
  .object({
    action: z.enum(['ramp', 'promote', 'rollback']),
    version: z.string().nullable().describe('The version ramped, promoted or rolled back to.'),
    previous: z.string().nullable().describe('The version current before.'),
    replayCheck: z
      .object({ replayed: z.number().int(), skipped: z.number().int(), forced: z.boolean(), divergences: z.array(divergenceSchema) })
      .nullable()
      .describe('Promote: the open incidents replayed on the version\'s code (null for ramp and rollback).'),
    status: deployStatusSchema,
  })
  .meta({ id: 'DeployChanged' });
