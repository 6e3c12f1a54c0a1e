import { HttpStatus } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { SIGN_OFFS_TO_PUBLISH, signOffRefusal, type ReviewState } from '../../../../lib/postmortem/review';
import { ApiError } from '../../common/error.filter';
import { lockLatest, published, reviewEvent, signOffsOf, type SignOff } from './review-store';

/**
 * A reviewer signs the revision in review off. The second sign-off by a different person (not
 * the revision's last editor) publishes it: from then on it is frozen. `reviewer` is a person's
 * id; `personOf` reads a recorded name (author, earlier reviewers) as the person it names, so
 * the comparison holds for names recorded under another alias too.
 */
export async function signOffPostmortem(
  db: DataSource,
  incidentId: string,
  reviewer: string,
  note: string | undefined,
  personOf: (name: string) => string,
): Promise<{ revision: number; state: ReviewState; signOffs: SignOff[] }> {
  return db.transaction(async (tx) => {
    const latest = await lockLatest(tx, incidentId);
    if (latest?.state === 'published') throw published(incidentId, latest.revision);
    const signed = latest ? await signOffsOf(tx, incidentId, latest.revision) : [];
    const as = (name: string | null) => (name === null ? null : personOf(name));
    const refusal = latest
      ? signOffRefusal({ state: latest.state, editedBy: as(latest.editedBy), submittedBy: as(latest.submittedBy) }, signed.map((s) => personOf(s.reviewer)), reviewer)
      : 'not_in_review';
    if (refusal === 'not_in_review') {
      throw new ApiError(HttpStatus.CONFLICT, 'postmortem_not_in_review', `The postmortem of incident ${incidentId} is not in review.`, `Its author sends it with POST /postmortems/${incidentId}/submit.`);
    }
    if (refusal === 'author') {
      throw new ApiError(
        HttpStatus.FORBIDDEN,
        'reviewer_is_author',
        `${reviewer} wrote the last edit of revision ${latest!.revision}: an author does not sign off their own words.`,
        'Two other people sign it off (GET /postmortems/:id shows who wrote the last edit).',
      );
    }
    if (refusal === 'already_signed') {
      throw new ApiError(HttpStatus.CONFLICT, 'already_signed_off', `${reviewer} has already signed off revision ${latest!.revision}.`, `It needs ${SIGN_OFFS_TO_PUBLISH} different reviewers; ask someone else.`);
    }
    const revision = latest!.revision;
    await tx.query(`INSERT INTO postmortem_signoffs (incident_id, revision, reviewer, note) VALUES ($1, $2, $3, $4)`, [incidentId, revision, reviewer, note ?? null]);
    const signOffs = await signOffsOf(tx, incidentId, revision);
    await reviewEvent(tx, incidentId, 'postmortem.signed-off', reviewer, `${reviewer} signed off revision ${revision} of the postmortem (${signOffs.length} of ${SIGN_OFFS_TO_PUBLISH})${note ? `: ${note}` : ''}`, {
      revision,
      note: note ?? null,
    });
    if (signOffs.length < SIGN_OFFS_TO_PUBLISH) return { revision, state: 'in_review' as const, signOffs };
    await tx.query(`UPDATE postmortem_revisions SET state = 'published', published_at = now() WHERE incident_id = $1 AND revision = $2`, [incidentId, revision]);
    const who = signOffs.map((s) => s.reviewer);
    await reviewEvent(tx, incidentId, 'postmortem.published', reviewer, `Revision ${revision} of the postmortem is published, signed off by ${who.join(' and ')}`, { revision, signedOffBy: who });
    return { revision, state: 'published' as const, signOffs };
  });
}
