import { HttpStatus } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { enqueueActionItemTickets } from '../../../../lib/db/action-item-tickets';
import { missingForReview } from '../../../../lib/postmortem/review';
import { ApiError } from '../../common/error.filter';
import { lockLatest, published, reviewEvent } from './review-store';

/**
 * The draft goes to review: it needs a root cause and at least one action item (each has an
 * owner and a due date by its schema). Its action items are queued as tickets where the
 * incident's ticket went, when it has one.
 */
export async function submitPostmortem(db: DataSource, incidentId: string, by: string): Promise<{ revision: number; state: 'in_review'; tickets: number }> {
  return db.transaction(async (tx) => {
    const latest = await lockLatest(tx, incidentId);
    if (!latest) {
      throw new ApiError(HttpStatus.CONFLICT, 'postmortem_incomplete', `Nobody has written on the postmortem of incident ${incidentId} yet.`, `PATCH /postmortems/${incidentId} with a rootCause and actionItems first.`);
    }
    if (latest.state === 'published') throw published(incidentId, latest.revision);
    if (latest.state === 'in_review') {
      throw new ApiError(HttpStatus.CONFLICT, 'postmortem_in_review', `Revision ${latest.revision} is already in review.`, `Reviewers sign it off with POST /postmortems/${incidentId}/sign-off.`);
    }
    const missing = missingForReview(latest.content);
    if (missing.length > 0) {
      throw new ApiError(HttpStatus.CONFLICT, 'postmortem_incomplete', `Revision ${latest.revision} lacks: ${missing.join('; ')}.`, `PATCH /postmortems/${incidentId} with them, then submit again.`);
    }
    await tx.query(`UPDATE postmortem_revisions SET state = 'in_review', submitted_by = $3, submitted_at = now() WHERE incident_id = $1 AND revision = $2`, [incidentId, latest.revision, by]);
    const tickets = await enqueueActionItemTickets(tx, incidentId, latest.content.actionItems);
    await reviewEvent(tx, incidentId, 'postmortem.submitted', by, `${by} sent revision ${latest.revision} of the postmortem to review (${latest.content.actionItems.length} action item(s))`, {
      revision: latest.revision,
      actionItems: latest.content.actionItems.length,
      ticketsQueued: tickets,
    });
    return { revision: latest.revision, state: 'in_review' as const, tickets };
  });
}
