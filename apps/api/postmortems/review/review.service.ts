import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Redactor } from '../../../../lib/intake/redact';
import { diffContent, SIGN_OFFS_TO_PUBLISH, type ReviewEdit } from '../../../../lib/postmortem/review';
import type { Caller } from '../../auth/roles';
import { ApiError } from '../../common/error.filter';
import { PeopleDirectory } from '../../common/people.directory';
import { assertUuid } from '../../incidents/incidents.service';
import { REDACTOR } from '../../webhooks/webhooks.tokens';
import type { EditPostmortemDto } from '../dto/review.dto';
import { PostmortemsService } from '../postmortems.service';
import { editPostmortem } from './edit-postmortem';
import { actionTicketsOf, revisionsOf, signOffsOf } from './review-store';
import { signOffPostmortem } from './sign-off-postmortem';
import { startRevision } from './start-revision';
import { submitPostmortem } from './submit-postmortem';

/**
 * Postmortem review: reads here, each change in its own file (one transaction each, on the
 * timeline). Who wrote, submitted and signed off is the caller's person (PeopleDirectory.personOf),
 * so one person under two token names is still one author and one reviewer.
 */
@Injectable()
export class PostmortemReviewService {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(PostmortemsService) private readonly postmortems: PostmortemsService,
    @Inject(REDACTOR) private readonly redactor: Redactor,
    @Inject(PeopleDirectory) private readonly people: PeopleDirectory,
  ) {}

  /** The review as it stands: the current revision, the latest published one, action items with their tickets, the generated suggestions. */
  async get(id: string) {
    const generated = await this.postmortems.build(id); // 400/404 for a bad or unknown incident
    const revisions = await revisionsOf(this.db, id);
    const current = revisions.at(-1) ?? null;
    const lastPublished = [...revisions].reverse().find((r) => r.state === 'published') ?? null;
    const tickets = await actionTicketsOf(this.db, id);
    return {
      incidentId: id,
      state: current?.state ?? ('none' as const),
      current: current ? { ...current, lastActionItem: undefined, signOffs: await signOffsOf(this.db, id, current.revision) } : null,
      published: lastPublished ? { revision: lastPublished.revision, publishedAt: lastPublished.publishedAt!, signOffs: await signOffsOf(this.db, id, lastPublished.revision) } : null,
      signOffsNeeded: SIGN_OFFS_TO_PUBLISH,
      actionItems: (current?.content.actionItems ?? []).map((a) => ({ ...a, ticket: tickets.get(a.id) ?? null })),
      suggestedActionItems: generated.actionItems,
      links: { generated: `/incidents/${id}/postmortem`, revisions: `/postmortems/${id}/revisions` },
    };
  }

  async revisions(id: string) {
    assertUuid(id);
    const revisions = await revisionsOf(this.db, id);
    if (revisions.length === 0) await this.postmortems.build(id); // 404 for an unknown incident
    return {
      incidentId: id,
      revisions: await Promise.all(revisions.map(async ({ lastActionItem: _, ...r }) => ({ ...r, signOffs: await signOffsOf(this.db, id, r.revision) }))),
    };
  }

  async diff(id: string, from: number, to: number) {
    assertUuid(id);
    const revisions = await revisionsOf(this.db, id);
    const of = (n: number) => {
      const r = revisions.find((x) => x.revision === n);
      if (!r) throw new ApiError(HttpStatus.NOT_FOUND, 'revision_not_found', `The postmortem of incident ${id} has no revision ${n}.`, `GET /postmortems/${id}/revisions lists them (${revisions.length} so far).`);
      return r;
    };
    return { incidentId: id, from, to, changes: diffContent(of(from).content, of(to).content) };
  }

  async edit(id: string, dto: EditPostmortemDto, caller: Pick<Caller, 'name'>) {
    const text = (s: string) => this.redactor.redactText(s);
    const edit: ReviewEdit = {
      rootCause: dto.rootCause === undefined ? undefined : text(dto.rootCause),
      contributingFactors: dto.contributingFactors?.map(text),
      wentWell: dto.wentWell?.map(text),
      wentBadly: dto.wentBadly?.map(text),
      actionItems: dto.actionItems?.map((a) => ({ ...a, title: text(a.title), owner: text(a.owner) })),
    };
    const done = await editPostmortem(this.db, assertUuid(id), edit, this.people.personOf(caller));
    return { incidentId: id, revision: done.revision, state: done.state as 'draft' | 'in_review' };
  }

  async submit(id: string, caller: Pick<Caller, 'name'>) {
    return { incidentId: id, ...(await submitPostmortem(this.db, assertUuid(id), this.people.personOf(caller))) };
  }

  /** Names recorded before they were people's ids (a token's email) are compared as the person too. */
  async signOff(id: string, caller: Pick<Caller, 'name'>, note: string | undefined) {
    const reviewer = this.people.personOf(caller);
    const signed = await signOffPostmortem(this.db, assertUuid(id), reviewer, note === undefined ? undefined : this.redactor.redactText(note), (name) => this.people.nameOf(name));
    return { incidentId: id, ...signed };
  }

  async startRevision(id: string, caller: Pick<Caller, 'name'>, reason: string) {
    const started = await startRevision(this.db, assertUuid(id), this.people.personOf(caller), this.redactor.redactText(reason));
    return { incidentId: id, revision: started.revision, state: started.state };
  }
}
