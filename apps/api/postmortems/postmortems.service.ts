import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { IncidentEntity } from '../../../lib/db/entities/incident.entity';
import { TimelineEventEntity } from '../../../lib/db/entities/timeline-event.entity';
import { buildPostmortem, type Postmortem, type PostmortemNotice } from '../../../lib/postmortem/model';
import { PostmortemTemplates, type RenderedFormat } from '../../../lib/postmortem/render';
import type { SlaPolicy } from '../../../lib/sla/policy';
import { assertUuid } from '../incidents/incidents.service';
import { incidentNotFound } from '../common/error.filter';
import { SLA_POLICY } from '../sla/sla.tokens';
import { postmortemLinksOf, reviewStateOf } from './postmortem-context';

/** Compiled once when the API starts (PALISADE_POSTMORTEM_TEMPLATES_DIR). */
export const POSTMORTEM_TEMPLATES = Symbol('POSTMORTEM_TEMPLATES');

@Injectable()
export class PostmortemsService {
  constructor(
    @InjectRepository(IncidentEntity) private readonly incidents: Repository<IncidentEntity>,
    @InjectRepository(TimelineEventEntity) private readonly timeline: Repository<TimelineEventEntity>,
    @Inject(POSTMORTEM_TEMPLATES) private readonly templates: PostmortemTemplates,
    @Inject(SLA_POLICY) private readonly sla: SlaPolicy,
  ) {}

  /**
   * The postmortem of an incident, open or closed, from its projection and its whole timeline,
   * with its SLA targets judged by the policy the API holds, its links and its review's state.
   */
  async build(id: string): Promise<Postmortem> {
    const incident = await this.incidents.findOneBy({ id: assertUuid(id) });
    if (!incident) throw incidentNotFound(id, 'just-created');
    const events = await this.timeline.find({ where: { incidentId: id }, order: { sequence: 'ASC' } });
    const db = this.timeline.manager;
    const context = { sla: this.sla, links: await postmortemLinksOf(db, incident), review: await reviewStateOf(db, id) };
    return { ...buildPostmortem(incident, events, new Date(), context), notices: await this.notices(id) };
  }

  /** Its pages and tickets, oldest first. */
  private async notices(id: string): Promise<PostmortemNotice[]> {
    const iso = (v: Date | null) => (v ? v.toISOString() : null);
    const rows = await this.timeline.query<{ vendor: string; kind: 'page' | 'ticket' | 'chat'; target: string; status: string; external_id: string | null; external_url: string | null; sent_at: Date | null; acknowledged_by: string | null; acknowledged_at: Date | null; resolved_at: Date | null }[]>(
      `SELECT vendor, kind, target, status, external_id, external_url, sent_at, acknowledged_by, acknowledged_at, resolved_at FROM paging_notices WHERE incident_id = $1 AND status <> 'standby' ORDER BY created_at, channel, vendor`,
      [id],
    );
    return rows.map((r) => ({
      vendor: r.vendor,
      kind: r.kind,
      target: r.target,
      status: r.status,
      externalId: r.external_id,
      externalUrl: r.external_url,
      sentAt: iso(r.sent_at),
      acknowledgedBy: r.acknowledged_by,
      acknowledgedAt: iso(r.acknowledged_at),
      resolvedAt: iso(r.resolved_at),
    }));
  }

  render(format: RenderedFormat, postmortem: Postmortem): string {
    return this.templates.render(format, postmortem);
  }
}
