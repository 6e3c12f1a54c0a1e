import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { checkVote, tally, VoteRejected, type GateVote, type RecordedVote } from '../../lib/approvals/gate';
import type { StartingBatch } from './input';
import type { IncidentRun, StopRequest } from './incident-run';
import {
  alertsMergedSignal,
  cancelSignal,
  decideUpdate,
  resolveSignal,
  slackClickRejectedSignal,
  stateQuery,
  VOTE_REJECTED,
  type ResolveRequest,
} from './messages';

/**
 * Every message a run answers: merged alerts, the responder's resolve or cancel, Slack clicks
 * that did not count, the `state` query, and the `decide` Update whose validator refuses a
 * vote that does not count with a sentence for the voter.
 */
export function installHandlers(run: IncidentRun): void {
  setHandler(alertsMergedSignal, (batch) => run.merges.receive(batch as StartingBatch));
  const stop = (kind: StopRequest['kind']) => (request: ResolveRequest) => {
    if (request.incidentId !== undefined && request.incidentId !== run.input.incidentId) return;
    if (run.closing) return;
    // A resolve may take the place of a cancel still waiting for approval to undo containment.
    if (run.stopRequest && !(kind === 'resolve' && run.awaitingUndo)) return;
    run.stopRequest = { kind, ...request };
    run.onStop?.();
  };
  setHandler(slackClickRejectedSignal, (click) => {
    if (click.incidentId === run.input.incidentId) run.merges.rejectedClicks.push(click);
  });
  setHandler(resolveSignal, stop('resolve'));
  setHandler(cancelSignal, stop('cancel'));
  setHandler(stateQuery, () => ({
    ...run.state,
    gates: [...run.gates.values()],
    pendingGates: [...run.gates.values()].filter((g) => g.status === 'open' || g.status === 'paused'),
    ...(run.undoSteps.length > 0 ? { undo: { steps: run.undoSteps, gateId: run.nextUndoGateId() } } : {}),
  }));
  setHandler(
    decideUpdate,
    (vote) => {
      const gate = run.gates.get(vote.gateId)!;
      const recorded: RecordedVote = {
        approverId: vote.approver.id,
        decision: vote.decision,
        ...(vote.decision === 'approve' && gate.options && vote.choice !== undefined ? { choice: vote.choice } : {}),
        reason: vote.reason ?? '',
        via: vote.approver.via,
        ...(vote.approver.slackUserId ? { slackUserId: vote.approver.slackUserId } : {}),
        ...(vote.approver.token ? { token: vote.approver.token } : {}),
        at: new Date().toISOString(),
      };
      gate.votes.push(recorded);
      run.unrecordedVotes.get(gate.id)?.push(recorded);
      const { outcome, choice } = tally(gate);
      if (outcome !== 'pending') {
        gate.status = outcome;
        gate.decidedAt = recorded.at;
        if (choice !== undefined) gate.choice = choice;
      }
      return { gateId: gate.id, outcome, approvals: gate.votes.filter((v) => v.decision === 'approve').length, needed: gate.needed };
    },
    {
      validator: (vote: GateVote) => {
        try {
          const forThisIncident = vote.incidentId === undefined || vote.incidentId === run.input.incidentId;
          checkVote(forThisIncident ? run.gates.get(vote.gateId) : undefined, vote, new Date());
        } catch (err) {
          if (err instanceof VoteRejected) throw ApplicationFailure.create({ type: VOTE_REJECTED, message: err.message, details: [err.code], nonRetryable: true });
          throw err;
        }
      },
    },
  );
}
