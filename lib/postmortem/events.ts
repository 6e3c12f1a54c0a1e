import type { Classification } from '../domain/classification';
import type { IncidentProjection } from '../domain/incident';
import type { TimelineEventType } from '../domain/timeline';

/** A time as the database (Date) or JSON (ISO string) gives it. */
export type Instant = Date | string;

/** The incident as the projection holds it (lib/db/entities/incident.entity.ts): what playbooks write, plus the door's counts and times. */
export interface PostmortemIncidentRow extends Omit<IncidentProjection, 'detectedAt'> {
  alertCount: number;
  sources: string[];
  /** The build its run started on and the one that ran it last (null: not recorded). */
  startedBuild?: string | null;
  runningBuild?: string | null;
  firstAlertAt: Instant | null;
  lastAlertAt: Instant | null;
  detectedAt: Instant;
  acknowledgedAt: Instant | null;
  containedAt: Instant | null;
  resolvedAt: Instant | null;
  /** What it was, as whoever closed it said (absent or null: not classified). */
  classification?: Classification | null;
  classificationReason?: string | null;
  classifiedBy?: string | null;
  /** Who owns it now (absent: read from its `incident.assigned` events). */
  assignee?: string | null;
}

/** One timeline event (lib/db/entities/timeline-event.entity.ts), oldest first by sequence. */
export interface PostmortemEventRow {
  sequence: number;
  type: TimelineEventType;
  occurredAt: Instant;
  actor: string;
  summary: string;
  data: Record<string, unknown>;
}

/** Milliseconds since the epoch, or null. */
export function ms(value: Instant | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const t = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(t) ? t : null;
}

/** ISO 8601 (UTC), or null. */
export function iso(value: Instant | null | undefined): string | null {
  const t = ms(value);
  return t === null ? null : new Date(t).toISOString();
}

/** `to - from` in ms, when both are known. */
export function between(from: Instant | null | undefined, to: Instant | null | undefined): number | null {
  const a = ms(from);
  const b = ms(to);
  return a === null || b === null ? null : b - a;
}

/** A field of an event's `data` as text ('' when absent; written by the workflow, but jsonb is untyped). */
export function text(data: Record<string, unknown>, key: string): string {
  const v = data[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

export function num(data: Record<string, unknown>, key: string): number | null {
  const v = data[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
