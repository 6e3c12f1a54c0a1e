import { HttpStatus } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ApiError } from '../../common/error.filter';
import { lockLatest, reviewEvent } from './review-store';

/** After publication, the next revision: a draft copy of the published one, to edit and review again. */
export async function startRevision(db: DataSource, incidentId: string, by: string, reason: string): Promise<{ revision: number; state: 'draft'; from: number }> {
  return db.transaction(async (tx) => {
    const latest = await lockLatest(tx, incidentId);
    if (latest?.state !== 'published') {
      throw new ApiError(
        HttpStatus.CONFLICT,
        'postmortem_not_published',
        latest ? `Revision ${latest.revision} is still ${latest.state === 'draft' ? 'a draft' : 'in review'}: edit it as it is.` : `Nobody has written on the postmortem of incident ${incidentId} yet.`,
        `PATCH /postmortems/${incidentId} edits the current revision; a new one starts only after publication.`,
      );
    }
    const revision = latest.revision + 1;
    await tx.query(
      `INSERT INTO postmortem_revisions (incident_id, revision, state, content, last_action_item, created_by) VALUES ($1, $2, 'draft', $3::jsonb, $4, $5)`,
      [incidentId, revision, JSON.stringify(latest.content), latest.lastActionItem, by],
    );
    await reviewEvent(tx, incidentId, 'postmortem.revision-started', by, `${by} started revision ${revision} of the published postmortem: ${reason}`, { revision, from: latest.revision, reason });
    return { revision, state: 'draft' as const, from: latest.revision };
  });
}
