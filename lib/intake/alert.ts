/** The nine webhook sources Palisade accepts (`POST /webhooks/:source`). */
export const SOURCES = ['splunk', 'elastic', 'wazuh', 'falco', 'guardduty', 'securityhub', 'github', 'sentinel', 'generic'] as const;
export type SourceName = (typeof SOURCES)[number];

export const ALERT_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const ALERT_CATEGORIES = ['host-compromise', 'secret-leak', 'identity', 'config-drift', 'vulnerability', 'other'] as const;
export type AlertCategory = (typeof ALERT_CATEGORIES)[number];

export const ENTITY_KINDS = ['host', 'credential', 'resource', 'repository', 'account'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** What an alert is about: the thing a playbook acts on. */
export interface AlertEntity {
  kind: EntityKind;
  /** Stable, machine-friendly identity (instance id, hostname, key fingerprint, repo full name). */
  key: string;
  /** What a responder reads. */
  display: string;
}

/** A leaked secret as Palisade keeps it: never the value, only enough to recognise it. */
export interface SecretDescriptor {
  type: string;
  /** Keyed HMAC-SHA256 of the value (hex), so two leaks of one secret match. */
  fingerprint: string;
  last4: string;
}

/** What a source adapter extracts from one finding in a vendor's payload. */
export interface ParsedAlert {
  title: string;
  description: string;
  severity: AlertSeverity;
  /** The vendor's own severity, as sent (e.g. "8.0", "Critical", "level 12"). */
  severityOriginal: string;
  category: AlertCategory;
  entity: AlertEntity;
  /** When the vendor observed it (ISO 8601); the receive time when the vendor gives none. */
  observedAt: string;
  /** Identity of the finding itself, stable across re-sends (see `fingerprintOf`). */
  fingerprint: string;
  labels: Record<string, string>;
  /** Leaked secrets found in the finding, already reduced to descriptors. */
  secrets?: SecretDescriptor[];
}

/** A normalized alert, as stored and as handed to playbooks. */
export interface Alert extends ParsedAlert {
  id: string;
  source: SourceName;
  deliveryId: string;
  receivedAt: string;
  /** The vendor's body with every secret redacted. */
  raw: unknown;
}
