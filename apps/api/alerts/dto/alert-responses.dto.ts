import { z } from 'zod';
import { ALERT_CATEGORIES, ALERT_SEVERITIES, ENTITY_KINDS, SOURCES } from '../../../../lib/intake/alert';
import { OCSF_VERSION } from '../../../../lib/intake/ocsf';
import type { Disposition } from '../../webhooks/alert-store';
import { enumOf, timeSchema, uuidSchema } from '../../common/openapi/schemas';

const secretSchema = z.object({ type: z.string(), fingerprint: z.string(), last4: z.string() }).meta({ id: 'SecretDescriptor' });

/** A stored alert, normalized (alerts.service.ts StoredAlertView). */
export const storedAlertSchema = z
  .object({
    id: uuidSchema,
    source: z.enum(SOURCES),
    deliveryId: z.string(),
    receivedAt: timeSchema,
    observedAt: timeSchema,
    title: z.string(),
    description: z.string(),
    severity: z.enum(ALERT_SEVERITIES),
    severityOriginal: z.string(),
    category: z.enum(ALERT_CATEGORIES),
    entity: z.object({ kind: z.enum(ENTITY_KINDS), key: z.string(), display: z.string() }),
    fingerprint: z.string(),
    labels: z.record(z.string(), z.string()),
    secrets: z.array(secretSchema).nullable().optional().describe('Leaked secrets as descriptors: never the value.'),
    raw: z.unknown().describe("The vendor's body with every secret redacted."),
    rule: z.string().nullable(),
    playbook: z.string().nullable(),
    incidentId: uuidSchema.nullable(),
    disposition: enumOf<Disposition>()(['started', 'merged', 'suppressed', 'duplicate']),
  })
  .meta({ id: 'StoredAlert' });

/** The OCSF 1.3 Detection Finding view of an alert (lib/intake/ocsf.ts). */
export const ocsfFindingSchema = z
  .looseObject({
    class_uid: z.literal(2004),
    class_name: z.literal('Detection Finding'),
    category_uid: z.literal(2),
    type_uid: z.literal(200401),
    severity_id: z.number().int().min(1).max(5),
    severity: z.string(),
    time: z.number().int(),
    message: z.string(),
    metadata: z.looseObject({ version: z.literal(OCSF_VERSION), uid: uuidSchema, correlation_uid: z.string(), log_name: z.string() }),
    finding_info: z.looseObject({ uid: z.string(), title: z.string() }),
    resources: z.array(z.looseObject({ uid: z.string(), name: z.string(), type: z.string() })),
  })
  .meta({ id: 'OcsfDetectionFinding' });

export const alertSchema = z.union([storedAlertSchema, ocsfFindingSchema]).meta({ id: 'Alert' });
