// Signals and queries every playbook answers. Clients import these definitions by name;
// they carry no workflow code.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AlertSeverity, SourceName } from '../../lib/intake/alert';

/** One finding inside a merged batch: enough for the timeline and the playbook to act on. */
export interface AlertEvidence {
  alertId: string;
  source: SourceName;
  title: string;
  severity: AlertSeverity;
  fingerprint: string;
  observedAt: string;
}

/**
 * Alerts the door merged into a running incident, coalesced by the inbox dispatcher: a storm
 * of thousands of alerts becomes a few signals carrying counts, not one event per alert.
 */
export interface AlertBatch {
  /** The incident these alerts joined; the workflow id is reused by an entity's next incident. */
  incidentId: string;
  /** The last inbox row in this batch: a re-sent batch (dispatcher crash) is recognised and skipped. */
  lastInboxId: number;
  count: number;
  firstSeen: string;
  lastSeen: string;
  sources: SourceName[];
  maxSeverity: AlertSeverity;
  /** Up to EVIDENCE_PER_BATCH distinct findings (by fingerprint), oldest first. */
  evidence: AlertEvidence[];
}

export const EVIDENCE_PER_BATCH = 20;

export interface ResolveRequest {
  reason: string;
  actor: string;
}

export interface IncidentState {
  incidentId: string;
  status: 'open' | 'resolved';
  alertCount: number;
  firstSeen: string | null;
  lastSeen: string | null;
  sources: SourceName[];
  maxSeverity: AlertSeverity;
}

export const alertsMergedSignal = defineSignal<[AlertBatch]>('alertsMerged');
export const resolveSignal = defineSignal<[ResolveRequest]>('resolve');
export const stateQuery = defineQuery<IncidentState>('state');
