import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { TimelineEventType } from '../../domain/timeline';

/** Append-only: rows are inserted once (deterministic id) and never updated. */
@Entity({ name: 'timeline_events' })
@Index(['incidentId', 'sequence'], { unique: true })
export class TimelineEventEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ name: 'incident_id', type: 'uuid' })
  incidentId!: string;

  @Column({ type: 'integer' })
  sequence!: number;

  @Column({ type: 'text' })
  type!: TimelineEventType;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ type: 'text' })
  actor!: string;

  @Column({ type: 'text' })
  summary!: string;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  data!: Record<string, unknown>;

  @CreateDateColumn({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt!: Date;
}
