import type { Alert, AlertSeverity, SecretDescriptor } from './alert';

/**
 * The OCSF 1.3 view of an alert: a Detection Finding (class 2004) in the Findings category,
 * https://schema.ocsf.io/1.3.0/classes/detection_finding. Built from the normalized alert
 * only — never from `raw` — so a leaked secret appears as its descriptor, not its value.
 */

export const OCSF_VERSION = '1.3.0';

const SEVERITY_IDS = { info: 1, low: 2, medium: 3, high: 4, critical: 5 } as const satisfies Record<AlertSeverity, number>;
const SEVERITY_NAMES = { 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Critical' } as const;

type OcsfSeverityId = (typeof SEVERITY_IDS)[AlertSeverity];

export interface OcsfResource {
  uid: string;
  name: string;
  type: string;
}

export interface OcsfDetectionFinding {
  class_uid: 2004;
  class_name: 'Detection Finding';
  category_uid: 2;
  category_name: 'Findings';
  activity_id: 1;
  activity_name: 'Create';
  type_uid: 200401;
  type_name: 'Detection Finding: Create';
  severity_id: OcsfSeverityId;
  severity: (typeof SEVERITY_NAMES)[OcsfSeverityId];
  status_id: 1;
  status: 'New';
  /** Epoch milliseconds of when the vendor observed the finding. */
  time: number;
  message: string;
  metadata: {
    version: typeof OCSF_VERSION;
    product: { name: 'Palisade'; vendor_name: 'Palisade' };
    /** The observation time as the alert carries it. */
    original_time?: string;
    /** Epoch milliseconds of when Palisade received it. */
    logged_time: number;
    uid: string;
    correlation_uid: string;
    log_name: string;
  };
  finding_info: {
    uid: string;
    title: string;
    desc: string;
    created_time: number;
    types: string[];
  };
  resources: OcsfResource[];
  unmapped: {
    labels: Record<string, string>;
    severity_original: string;
    delivery_uid: string;
    /** Leaked secrets as descriptors (type, keyed fingerprint, last four characters). */
    secrets?: SecretDescriptor[];
  };
}

/** Epoch ms of an ISO time, or of the fallback when it does not parse. */
function epochMs(iso: string, fallback: string): number {
  const ms = Date.parse(iso);
  if (!Number.isNaN(ms)) return ms;
  const alt = Date.parse(fallback);
  return Number.isNaN(alt) ? 0 : alt;
}

export function toOcsfDetectionFinding(alert: Alert): OcsfDetectionFinding {
  const severityId = SEVERITY_IDS[alert.severity];
  const time = epochMs(alert.observedAt, alert.receivedAt);
  const finding: OcsfDetectionFinding = {
    class_uid: 2004,
    class_name: 'Detection Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: 1,
    activity_name: 'Create',
    type_uid: 200401,
    type_name: 'Detection Finding: Create',
    severity_id: severityId,
    severity: SEVERITY_NAMES[severityId],
    status_id: 1,
    status: 'New',
    time,
    message: alert.title,
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'Palisade', vendor_name: 'Palisade' },
      original_time: alert.observedAt,
      logged_time: epochMs(alert.receivedAt, alert.observedAt),
      uid: alert.id,
      correlation_uid: alert.fingerprint,
      log_name: alert.source,
    },
    finding_info: {
      uid: alert.fingerprint,
      title: alert.title,
      desc: alert.description,
      created_time: time,
      types: [alert.category],
    },
    resources: [{ uid: alert.entity.key, name: alert.entity.display, type: alert.entity.kind }],
    unmapped: {
      labels: { ...alert.labels },
      severity_original: alert.severityOriginal,
      delivery_uid: alert.deliveryId,
    },
  };
  if (alert.secrets?.length) {
    finding.unmapped.secrets = alert.secrets.map(({ type, fingerprint, last4 }) => ({ type, fingerprint, last4 }));
  }
  return finding;
}
