import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ApplicationFailure, Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Repository } from 'typeorm';
import type { Approver, GateDecision, GateState, GateVote, VoteToken } from '../../../lib/approvals/gate';
import { IncidentEntity } from '../../../lib/db/entities/incident.entity';
import {
  decideUpdate,
  slackClickRejectedSignal,
  stateQuery,
  VOTE_REJECTED,
  type GateVerdict,
  type IncidentState,
  type SlackClickRejected,
} from '../../../workflows/shared/messages';
import type { Redactor } from '../../../lib/intake/redact';
import type { PalisadeConfig } from '../../../lib/config/env';
import { ApiError, incidentNotFound } from '../common/error.filter';
import { PALISADE_CONFIG } from '../config/config.module';
import { REDACTOR } from '../webhooks/webhooks.tokens';
import { assertUuid } from '../incidents/incidents.service';
import type { Caller } from '../auth/roles';
import { PeopleDirectory } from '../common/people.directory';
import { FleetSetupService } from '../fleet/fleet-setup.service';
import { describeErrorChain, isTemporalUnreachable, noStateQuery, queryFailedReason, TEMPORAL_DEADLINE_MS, temporalRefusal, temporalUnavailable } from '../common/temporal-errors';
import type { DecideDto } from './dto/decide.dto';
import { gateViews, voteRejected, type GateView } from './gate-views';

export interface Approvals {
  incidentId: string;
  phase: IncidentState['phase'] | null;
  currentStep: string | null;
  gates: GateView[];
}

const log = new Logger('ApprovalsService');


/**
 * The approval gates of a running incident, read from and voted on through its playbook
 * (the `state` query and the `decide` Update): Temporal is the truth, so a voter learns at
 * once whether the vote counted.
 */
@Injectable()
export class ApprovalsService {
  constructor(
    @Inject(Client) private readonly temporal: Client,
    @InjectRepository(IncidentEntity) private readonly incidents: Repository<IncidentEntity>,
    @Inject(PeopleDirectory) private readonly people: PeopleDirectory,
    @Inject(REDACTOR) private readonly redactor: Redactor,
    @Inject(FleetSetupService) private readonly fleet: FleetSetupService,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
  ) {}

  async list(id: string): Promise<Approvals> {
    const state = await this.state(id);
    return { incidentId: id, phase: state?.phase ?? null, currentStep: state?.currentStep ?? null, gates: gateViews(state?.gates ?? []) };
  }

  /** A running incident's gates as its playbook holds them (for Slack's modal and `/palisade pending`). */
  async gates(id: string): Promise<GateState[]> {
    return (await this.state(id))?.gates ?? [];
  }

  /**
   * Casts a vote as the person the API token names (resolved through runbooks/people.yaml),
   * with the token it came with: the gate counts an unclaimed token's maker as a voter too.
   */
  async decide(id: string, gateId: string, dto: DecideDto, caller: Caller): Promise<GateVerdict & { incidentId: string }> {
    const approver = this.people.approver(caller.name, 'API token name');
    // The game-day exception holds on the simulated fleet only (the engine may have been restarted on real vendors since).
    if (caller.purpose === 'gameday') this.fleet.assertSimulated();
    const bound = caller.bound === 'bootstrap' ? 'made' : caller.bound;
    // Its maker and whoever answers for it as people (a token named by email is its person), so the gate compares people.
    const token: VoteToken = { id: caller.tokenId, createdBy: this.people.nameOf(caller.createdBy), bound, ...(bound ? {} : { vouchedBy: this.people.nameOf(caller.principal) }) };
    return this.castVote(id, gateId, { ...approver, token }, dto);
  }

  /**
   * Runs the gate's `decide` Update for a resolved approver (the API's caller, a Slack clicker).
   * A vote that did not count throws 409 with the validator's code and sentence.
   */
  async castVote(
    id: string,
    gateId: string,
    approver: Approver,
    ballot: { decision: GateDecision; reason?: string; choice?: string; requestedAt?: string },
  ): Promise<GateVerdict & { incidentId: string }> {
    const incident = await this.runningIncident(id);
    const vote: GateVote = {
      gateId,
      incidentId: incident.id,
      decision: ballot.decision,
      approver,
      // Redacted here, before the Update carries it into Temporal history (API and Slack votes alike).
      ...(ballot.reason ? { reason: this.redactor.redactText(ballot.reason) } : {}),
      ...(ballot.choice ? { choice: ballot.choice } : {}),
      ...(ballot.requestedAt ? { requestedAt: ballot.requestedAt } : {}),
    };
    try {
      const verdict = await this.temporal.withDeadline(Date.now() + this.config.playbooks.voteDeadlineMs, () =>
        this.temporal.workflow.getHandle(incident.workflowId).executeUpdate(decideUpdate, { args: [vote] }),
      );
      return { incidentId: id, ...verdict };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === VOTE_REJECTED) {
        const code = err.cause.details?.[0];
        throw voteRejected(typeof code === 'string' ? code : 'vote_rejected', err.cause.message, id);
      }
      // A run with no `decide` handler (legacy triage runs; a playbook off the shared runner) refuses the Update with the
      // SDK's own words (@temporalio/workflow src/internals.ts): it has no gates to vote on.
      if (err instanceof WorkflowUpdateFailedError && err.cause?.message === `No registered handler for update: ${decideUpdate.name}`) {
        throw voteRejected('unknown_gate', `Incident ${id}'s playbook has no approval gates, so none named ${gateId}.`, id);
      }
      throw mapTemporalError(err, id, 'take the vote', {
        unsure: 'The vote may or may not have counted: GET /incidents/:id/approvals shows it once Temporal answers.',
        refused: 'The vote did not count.',
      });
    }
  }

  /** Puts a Slack click that did not count on the incident's timeline (through its playbook, which owns the timeline). */
  async recordRejectedClick(click: SlackClickRejected): Promise<void> {
    const incident = await this.incidents.findOneBy({ id: assertUuid(click.incidentId) });
    if (!incident || incident.status === 'resolved' || incident.status === 'cancelled') return;
    await this.temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => this.temporal.workflow.getHandle(incident.workflowId).signal(slackClickRejectedSignal, click));
  }

  /** The running playbook's state; null when it runs but keeps none (no `state` query: a playbook without gates). */
  private async state(id: string): Promise<IncidentState | null> {
    const incident = await this.runningIncident(id);
    const handle = this.temporal.workflow.getHandle(incident.workflowId);
    try {
      const state = await this.temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, async () => {
        // A finished run still answers queries (replayed on a worker): ask whether it runs first.
        const { status } = await handle.describe();
        return status.name === 'RUNNING' ? handle.query(stateQuery).catch(noStateQuery) : undefined;
      });
      if (state === null) return null;
      if (!state || state.incidentId !== id || state.status === 'resolved' || state.status === 'cancelled') throw notRunning(id);
      return state;
    } catch (err) {
      throw mapTemporalError(err, id, 'read its approvals');
    }
  }

  private async runningIncident(id: string): Promise<IncidentEntity> {
    const incident = await this.incidents.findOneBy({ id: assertUuid(id) });
    if (!incident) throw incidentNotFound(id, 'just-created');
    if (incident.status === 'resolved' || incident.status === 'cancelled') throw notRunning(id, incident.status);
    return incident;
  }
}

function notRunning(id: string, status?: string): ApiError {
  return new ApiError(
    HttpStatus.CONFLICT,
    'playbook_not_running',
    `Incident ${id} has no running playbook${status ? ` (it is ${status})` : ''}, so none of its approvals can be read or decided here.`,
    `GET /incidents/${id}/timeline has every gate's request, votes and decision. A just-opened incident's playbook may still be starting: retry shortly.`,
  );
}

/** Where to look when a run's worker does not answer: Temporal routes a run only to workers of its version. */
const NO_WORKER_HINT = "GET /deploys shows each version's pollers: if the run's version has none, start a worker of it or roll back to a version whose worker polls";

/** What to do when the run's worker fails it: a bug in the playbook's code, or a run the worker cannot replay. */
const PLAYBOOK_FAILED_HINT =
  "The worker's logs have the failure: a handler that throws, or a run its version cannot replay (non-determinism after a deploy). " +
  "GET /deploys shows each version and its pollers: roll back to one that replays the run. GET /incidents/:id/timeline still has every gate's request, votes and decision.";

/** What the caller is told first: when Temporal may have taken the request (`unsure`), and when it surely did not (`refused`). */
export interface TemporalErrorHints {
  unsure?: string;
  refused?: string;
}

/**
 * A Temporal error as the API answers it:
 * - the run gone: 409 `playbook_not_running`;
 * - Temporal, or the run's worker, not answering (unreachable, past the deadline, no worker polling
 *   the run's version, another refusal for now): 503 `temporal_unavailable`;
 * - the run's worker failing it (the `state` query or the vote's handler threw, its workflow task keeps
 *   failing): 502 `playbook_failed`.
 * Anything else is logged with its class and causes and becomes a 500.
 */
export function mapTemporalError(err: unknown, id: string, what: string, hints: TemporalErrorHints = {}): unknown {
  if (err instanceof ApiError) return err;
  if (err instanceof WorkflowNotFoundError) return notRunning(id);
  const lead = (hint: string | undefined) => (hint ? `${hint.replaceAll(':id', id)} ` : '');
  const playbookFailed = (message: string) => {
    log.warn(`Incident ${id}'s playbook failed (${what}): ${message}`);
    return new ApiError(HttpStatus.BAD_GATEWAY, 'playbook_failed', message, `${lead(hints.refused)}${PLAYBOOK_FAILED_HINT.replaceAll(':id', id)}`);
  };
  const failedQuery = queryFailedReason(err);
  if (failedQuery !== undefined) {
    return playbookFailed(
      `Incident ${id}'s playbook runs, but the state query failed on its worker (or Temporal refused it), so Palisade could not ${what}; its gates may be waiting for a vote (Temporal: "${failedQuery}").`,
    );
  }
  // A vote's handler (or its validator) threw: Temporal did not take it.
  if (err instanceof WorkflowUpdateFailedError) {
    return playbookFailed(`Incident ${id}'s playbook refused to ${what}: its handler failed on the worker ("${err.cause?.message ?? err.message}").`);
  }
  const refusal = temporalRefusal(err);
  if (refusal?.kind === 'task-failing') {
    return playbookFailed(
      `Incident ${id}'s playbook is stuck: its workflow task keeps failing on its worker, so Temporal refused to let Palisade ${what} (Temporal: "${refusal.reason}").`,
    );
  }
  if (refusal?.kind === 'no-worker') {
    return temporalUnavailable(
      `No worker answered for incident ${id}'s playbook, so Palisade could not ${what}: the run may be waiting on a worker-deployment version no worker runs (Temporal: "${refusal.reason}").`,
      `${lead(hints.refused)}${NO_WORKER_HINT}; then retry.`,
    );
  }
  if (refusal) {
    return temporalUnavailable(`Temporal refused, for now, to let Palisade ${what} on incident ${id} (Temporal: "${refusal.reason}").`, `${lead(hints.refused)}Retry in a few seconds (see Retry-After).`);
  }
  if (isTemporalUnreachable(err)) {
    return temporalUnavailable(
      `Temporal did not answer in time to ${what} on incident ${id}: Temporal may be down or slow, or no worker of the run's version answers (stopped, hung or overloaded, or a version no worker runs).`,
      `${lead(hints.unsure)}GET /readyz shows whether Temporal answers; ${NO_WORKER_HINT}. Retry in a few seconds (see Retry-After).`,
    );
  }
  log.error(`Unexpected error from Temporal on incident ${id} (${what}): ${describeErrorChain(err)}`);
  return err;
}
