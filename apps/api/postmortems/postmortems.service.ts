import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { IncidentEntity } from '../../../lib/db/entities/incident.entity';
import { TimelineEventEntity } from '../../../lib/db/entities/timeline-event.entity';
import { buildPostmortem, type Postmortem } from '../../../lib/postmortem/model';
import { PostmortemTemplates, type RenderedFormat } from '../../../lib/postmortem/render';
import { assertUuid, notFound } from '../incidents/incidents.service';

/** Compiled once when the API starts (PALISADE_POSTMORTEM_TEMPLATES_DIR). */
export const POSTMORTEM_TEMPLATES = Symbol('POSTMORTEM_TEMPLATES');

@Injectable()
export class PostmortemsService {
  constructor(
    @InjectRepository(IncidentEntity) private readonly incidents: Repository<IncidentEntity>,
    @InjectRepository(TimelineEventEntity) private readonly timeline: Repository<TimelineEventEntity>,
    @Inject(POSTMORTEM_TEMPLATES) private readonly templates: PostmortemTemplates,
  ) {}

  /** The postmortem of an incident, open or closed, from its projection and its whole timeline. */
  async build(id: string): Promise<Postmortem> {
    const incident = await this.incidents.findOneBy({ id: assertUuid(id) });
    if (!incident) throw notFound(id);
    const events = await this.timeline.find({ where: { incidentId: id }, order: { sequence: 'ASC' } });
    return buildPostmortem(incident, events);
  }

  render(format: RenderedFormat, postmortem: Postmortem): string {
    return this.templates.render(format, postmortem);
  }
}
