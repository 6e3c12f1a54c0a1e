import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Classification } from '../../domain/classification';
import type { IncidentStatus, Severity } from '../../domain/incident';

/** The queryable projection of an incident; Temporal stays the source of truth. */
@Entity({ name: 'incidents' })
export class IncidentEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Index()
  @Column({ name: 'workflow_id', type: 'text' })
  workflowId!: string;

  @Column({ type: 'text' })
  title!: string;

  @Column({ type: 'text' })
  severity!: Severity;

  @Column({ type: 'text' })
  status!: IncidentStatus;

  @Column({ type: 'text' })
  playbook!: string;

  @Column({ name: 'playbook_version', type: 'text' })
  playbookVersion!: string;

  /** The build (worker version, derived from the workflow code) the incident's run started on; null before builds were recorded. */
  @Column({ name: 'started_build', type: 'text', nullable: true })
  startedBuild!: string | null;

  /** The build running it now (Worker Versioning moves an open run to a new build), as the run last reported. */
  @Column({ name: 'running_build', type: 'text', nullable: true })
  runningBuild!: string | null;

  /** Since when its run is stuck (a workflow task that keeps failing); null when it is not. */
  @Column({ name: 'stuck_since', type: 'timestamptz', nullable: true })
  stuckSince!: Date | null;

  /** Why: the failing task's error and the build it failed on. */
  @Column({ name: 'stuck_reason', type: 'text', nullable: true })
  stuckReason!: string | null;

  @Column({ type: 'text', nullable: true })
  entity!: string | null;

  /** A merged duplicate's survivor (POST /incidents/:id/merge); null otherwise. */
  @Column({ name: 'duplicate_of', type: 'uuid', nullable: true })
  duplicateOf!: string | null;

  @Column({ name: 'alert_count', type: 'integer', default: 0 })
  alertCount!: number;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  sources!: string[];

  @Column({ name: 'first_alert_at', type: 'timestamptz', nullable: true })
  firstAlertAt!: Date | null;

  @Column({ name: 'last_alert_at', type: 'timestamptz', nullable: true })
  lastAlertAt!: Date | null;

  @Column({ name: 'detected_at', type: 'timestamptz' })
  detectedAt!: Date;

  /** Who owns it: a person's id in runbooks/people.yaml; null: nobody yet (POST /incidents/:id/assign, take). */
  @Column({ type: 'text', nullable: true })
  assignee!: string | null;

  /** Tags responders gave it by hand (PATCH /incidents/:id). */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags!: string[];

  @Column({ name: 'acknowledged_at', type: 'timestamptz', nullable: true })
  acknowledgedAt!: Date | null;

  @Column({ name: 'contained_at', type: 'timestamptz', nullable: true })
  containedAt!: Date | null;

  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;

  /** What it turned out to be, as whoever closed it said (null: open, or closed before this was recorded). */
  @Column({ type: 'text', nullable: true })
  classification!: Classification | null;

  @Column({ name: 'classification_reason', type: 'text', nullable: true })
  classificationReason!: string | null;

  /** The person who classified it, or `automation` when its playbook resolved it by itself. */
  @Column({ name: 'classified_by', type: 'text', nullable: true })
  classifiedBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
