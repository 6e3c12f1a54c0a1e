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
import { ApiError, incidentNotFound } from '../common/error.filter';
import { REDACTOR } from '../webhooks/webhooks.tokens';
import { assertUuid } from '../incidents/incidents.service';
import type { Caller } from '../auth/roles';
import { PeopleDirectory } from '../common/people.directory';
import { FleetSetupService } from '../fleet/fleet-setup.service';
import { describeErrorChain, isTemporalUnreachable, noStateQuery, queryFailedReason, TEMPORAL_DEADLINE_MS, temporalUnavailable, workerUnavailableReason } from '../common/temporal-errors';
import type { DecideDto } from './dto/decide.dto';
import { gateViews, voteRejected, type GateView } from './gate-views';

export interface Approvals {
  incidentId: string;
  phase: IncidentState['phase'] | null;
  currentStep: string | null;
  gates: GateView[];
}

const log = new Logger('ApprovalsService');

/** A vote waits for the playbook to take it (the worker must answer): a little longer than a read. */
const DECIDE_DEADLINE_MS = 10_000;

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
      const verdict = await this.temporal.withDeadline(Date.now() + DECIDE_DEADLINE_MS, () =>
        this.temporal.workflow.getHandle(incident.workflowId).executeUpdate(decideUpdate, { args: [vote] }),
      );
      return { incidentId: id, ...verdict };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === VOTE_REJECTED) {
        const code = err.cause.details?.[0];
        throw voteRejected(typeof code === 'string' ? code : 'vote_rejected', err.cause.message, id);
      }
      // A run with no `decide` handler refuses the Update; one that registers no `state` query either keeps no gates (every
      // playbook on the shared runner registers both: workflows/shared/run-handlers.ts).
      if (err instanceof WorkflowUpdateFailedError && (await this.keepsNoState(incident.workflowId, id, err))) {
        throw voteRejected('unknown_gate', `Incident ${id}'s playbook has no approval gates, so none named ${gateId}.`, id);
      }
      throw mapTemporalError(err, id, 'take the vote', 'The vote may or may not have counted: GET /incidents/:id/approvals shows it once Temporal answers.');
    }
  }

  /** Puts a Slack click that did not count on the incident's timeline (through its playbook, which owns the timeline). */
  async recordRejectedClick(click: SlackClickRejected): Promise<void> {
    const incident = await this.incidents.findOneBy({ id: assertUuid(click.incidentId) });
    if (!incident || incident.status === 'resolved' || incident.status === 'cancelled') return;
    await this.temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => this.temporal.workflow.getHandle(incident.workflowId).signal(slackClickRejectedSignal, click));
  }

  /**
   * Whether the run registers no `state` query (a playbook without gates), asked when it refused a
   * vote; false when that cannot be told. When its worker fails the query (it does keep state, but
   * cannot show it), that failure as the API answers it: the vote did not count.
   */
  private async keepsNoState(workflowId: string, id: string, refused: WorkflowUpdateFailedError): Promise<boolean> {
    try {
      const handle = this.temporal.workflow.getHandle(workflowId);
      return (await this.temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => handle.query(stateQuery).catch(noStateQuery))) === null;
    } catch (err) {
      if (queryFailedReason(err) === undefined) return false;
      throw mapTemporalError(err, id, 'take the vote', `The vote did not count: the playbook refused it ("${refused.cause?.message ?? refused.message}").`);
    }
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

/** What to do when the run's worker fails its `state` query: a bug in a query handler, or a run the worker cannot replay. */
const QUERY_FAILED_HINT =
  "The worker's logs have the failure: a query handler that throws, or a run its version cannot replay (non-determinism after a deploy). " +
  "GET /deploys shows each version and its pollers: roll back to one that replays the run. GET /incidents/:id/timeline still has every gate's request, votes and decision.";

/**
 * A Temporal error as the API answers it: the run gone is 409; Temporal, or the run's worker, not
 * answering (unreachable, past the deadline, or refused because no worker polls the run's version)
 * is 503 `temporal_unavailable`; the worker failing the `state` query (not a missing handler: see
 * noStateQuery) is 502 `playbook_query_failed`. Anything else is logged with its class and causes and becomes a 500.
 */
export function mapTemporalError(err: unknown, id: string, what: string, hint?: string): unknown {
  if (err instanceof ApiError) return err;
  if (err instanceof WorkflowNotFoundError) return notRunning(id);
  const first = hint ? `${hint.replaceAll(':id', id)} ` : '';
  const failed = queryFailedReason(err);
  if (failed !== undefined) {
    log.warn(`The worker of incident ${id}'s playbook failed the state query (${what}): ${failed}`);
    return new ApiError(
      HttpStatus.BAD_GATEWAY,
      'playbook_query_failed',
      `Incident ${id}'s playbook runs, but its worker failed to answer the state query, so Palisade could not ${what}; its gates may be waiting for a vote (Temporal: "${failed}").`,
      `${first}${QUERY_FAILED_HINT.replaceAll(':id', id)}`,
    );
  }
  const refused = workerUnavailableReason(err);
  if (refused !== undefined) {
    return temporalUnavailable(
      `No worker answered for incident ${id}'s playbook, so Palisade could not ${what}: the run may be waiting on a worker-deployment version no worker runs (Temporal: "${refused}").`,
      `${first}${NO_WORKER_HINT}; then retry.`,
    );
  }
  if (isTemporalUnreachable(err)) {
    return temporalUnavailable(
      `Temporal did not answer in time to ${what} on incident ${id}: Temporal may be down or slow, or the run may be waiting on a worker-deployment version no worker runs.`,
      `${first}GET /readyz shows whether Temporal answers; ${NO_WORKER_HINT}. Retry in a few seconds (see Retry-After).`,
    );
  }
  log.error(`Unexpected error from Temporal on incident ${id} (${what}): ${describeErrorChain(err)}`);
  return err;
}
