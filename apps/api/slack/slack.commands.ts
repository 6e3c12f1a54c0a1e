import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { performance } from 'node:perf_hooks';
import { In, Not, type Repository } from 'typeorm';
import { checkVote, VoteRejected, type Approver, type GateState } from '../../../lib/approvals/gate';
import { IncidentEntity } from '../../../lib/db/entities/incident.entity';
import { SLASH_COMMAND } from '../../../lib/slack/actions';
import { escapeMrkdwn } from '../../../lib/slack/templates';
import type { PalisadeConfig } from '../../../lib/config/env';
import { ApprovalsService } from '../approvals/approvals.service';
import { IncidentsService } from '../incidents/incidents.service';
import { ApiError } from '../common/error.filter';
import { PALISADE_CONFIG } from '../config/config.module';
import { ANSWER_WITHIN_MS, arrival } from './slack.bolt';
import { SlackIdentity, type SlackWho } from './slack.identity';
import { SLACK_INCIDENT_ACTIONS, slackIncidentAction, type SlackIncidentAction } from './slack.incident-actions';
import { forEachConcurrently } from '../../../lib/concurrently';

/** Open incidents `/palisade pending` looks through, newest first. */
const PENDING_SCAN = 50;
/** Gate reads `/palisade pending` has out at once (each a describe and a `state` query through Temporal to the run's worker). */
const PENDING_READS = 8;
/** Where to look when an incident's gates could not be read. */
const UNREAD_HINT = "Its page has the timeline, with every gate's request, votes and decision (GET /incidents/<id>/timeline).";
const USAGE =
  'Usage: `/palisade status <incident-id>` (where an incident stands), `/palisade pending` (approvals waiting on you), ' +
  '`/palisade ack <incident-id> [note]`, `/palisade take <incident-id> [why]`, `/palisade note <incident-id> <text>`, ' +
  '`/palisade resolve <incident-id> <classification> <reason>`, `/palisade cancel <incident-id> <reason>` (responders).';

/**
 * `/palisade status <incident>` and `/palisade pending`, answered to the caller only, and only
 * to a person runbooks/people.yaml knows, not disabled, with a role (viewer or higher): a
 * workspace's guests and strangers learn nothing about incidents here.
 */
@Injectable()
export class SlackCommands {
  private readonly log = new Logger('Slack');

  constructor(
    @Inject(ApprovalsService) private readonly approvals: ApprovalsService,
    @Inject(SlackIdentity) private readonly identity: SlackIdentity,
    @InjectRepository(IncidentEntity) private readonly incidents: Repository<IncidentEntity>,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
    @Inject(IncidentsService) private readonly incidentActions: IncidentsService,
  ) {}

  register(app: App): void {
    // Answered in the acknowledgement itself, within ANSWER_WITHIN_MS of arrival (not later through
    // response_url): the caller gets what could be read at once, and is told which incidents could
    // not be (a gate read takes up to TEMPORAL_DEADLINE_MS, 5 s, when Temporal or the run's worker
    // does not answer). Who the caller is shares that deadline: users.info and usergroups.users.list
    // may take Slack's client up to 2.5 s a try, with retries.
    app.command(SLASH_COMMAND, async ({ command, ack, client, context }) => {
      const deadline = arrival(context) + ANSWER_WITHIN_MS;
      const [verb, ...args] = command.text.trim().split(/\s+/);
      let text: string;
      try {
        const acts = (SLACK_INCIDENT_ACTIONS as readonly string[]).includes(verb);
        if (!acts && verb !== 'status' && verb !== 'pending') text = USAGE;
        else {
          // Who the caller is, resolved once for the whole command; not known by the deadline, the
          // caller is told so (and nothing is read or done for them) while the lookup goes on.
          const who = await this.identity.resolve(client, command.user_id, deadline);
          const reader = readerOf(who, command.user_id);
          if (typeof reader === 'string') text = reader;
          else if (acts) text = await this.actAs(who, verb as SlackIncidentAction, command.text.trim().slice(verb.length));
          else if (verb === 'pending') text = await this.pending(reader, deadline);
          else text = args[0] ? await this.status(args[0], deadline) : USAGE;
        }
      } catch (err) {
        this.log.warn(`/palisade ${command.text} failed: ${(err as Error).message}`);
        text = `Palisade could not answer: ${(err as Error).message}`;
      }
      await ack({ response_type: 'ephemeral', text });
    });
  }

  private async status(id: string, deadline: number): Promise<string> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return `\`${escapeMrkdwn(id)}\` is not an incident id (a UUID, as in the incident's link). ${USAGE}`;
    const incident = await this.incidents.findOneBy({ id });
    if (!incident) return `No incident ${id}.`;
    const lines = [
      `*<${this.link(id)}|${escapeMrkdwn(incident.title)}>*`,
      `${incident.status} · ${incident.severity} · ${incident.playbook} ${incident.playbookVersion} · ${escapeMrkdwn(incident.entity ?? 'no entity')} · ${incident.alertCount} alert(s)`,
    ];
    if (incident.status !== 'resolved' && incident.status !== 'cancelled') {
      const read = await this.readGates(id, deadline);
      if ('unread' in read) lines.push(`:warning: Could not read its gates (${read.unread}): an approval may be waiting. ${UNREAD_HINT.replace('<id>', id)}`);
      else {
        const waiting = read.gates.filter((g) => g.status === 'open' || g.status === 'paused');
        for (const g of waiting) lines.push(`:hourglass_flowing_sand: ${gateLine(g)}`);
        if (waiting.length === 0) lines.push('No approval waiting.');
      }
    }
    return lines.join('\n');
  }

  /**
   * An incident action as the person behind this Slack user (a Slack group member alone is not
   * enough: the timeline needs a person); the sentence for the caller. Also the incident post's buttons.
   */
  async act(client: WebClient, slackUserId: string, verb: SlackIncidentAction, rest: string): Promise<string> {
    return this.actAs(await this.identity.resolve(client, slackUserId), verb, rest);
  }

  private async actAs(who: SlackWho, verb: SlackIncidentAction, rest: string): Promise<string> {
    if (who.kind === 'refused') return refusal(who);
    if (who.kind !== 'person') return `\`/palisade ${verb}\` needs a person in runbooks/people.yaml with the responder role.`;
    return slackIncidentAction(this.incidentActions, who.person, verb, rest);
  }

  /**
   * The gates among the newest open incidents where the approver's vote would count now, read
   * PENDING_READS at a time until `deadline`. An incident whose gates could not be read (Temporal
   * or its worker did not answer, the worker failed the query, or no answer by the deadline) is
   * named as such: "Nothing waits on you" only when every one was read.
   */
  private async pending(approver: Approver, deadline: number): Promise<string> {
    const open = await this.incidents.find({ where: { status: Not(In(['resolved', 'cancelled'])) }, order: { detectedAt: 'DESC' }, take: PENDING_SCAN });
    const reads: GateRead[] = new Array<GateRead>(open.length);
    // No read starts after the deadline; one out at the deadline is answered as not read (readGates).
    await forEachConcurrently(open, PENDING_READS, async (incident, i) => {
      reads[i] = performance.now() < deadline ? await this.readGates(incident.id, deadline) : { unread: NOT_IN_TIME };
    });

    const waiting: string[] = [];
    const unread: string[] = [];
    open.forEach((incident, i) => {
      const read = reads[i];
      const link = `<${this.link(incident.id)}|${escapeMrkdwn(incident.title)}>`;
      if ('unread' in read) unread.push(`• ${link}: ${read.unread}`);
      else for (const gate of read.gates.filter((g) => (g.status === 'open' || g.status === 'paused') && mayVote(g, approver))) waiting.push(`• ${link}: ${gateLine(gate)}`);
    });
    const lines = waiting.length ? [`Waiting on you (${waiting.length}):`, ...waiting] : [];
    if (unread.length) {
      const incidents = unread.length === 1 ? '1 open incident' : `${unread.length} open incidents`;
      lines.push(
        `:warning: Could not read the gates of ${incidents}, so approvals may ${waiting.length ? 'also ' : ''}be waiting on you there. ${UNREAD_HINT.replace('Its page has', "Each one's page has")}`,
        ...unread,
      );
    }
    return lines.length ? lines.join('\n') : 'Nothing waits on you.';
  }

  /**
   * A running incident's gates, or why they could not be read: its playbook's answer, unless
   * Temporal or the run's worker did not give one (503), the worker failed the query (502), or
   * `deadline` passed first (the read runs on; its answer is dropped). A playbook that is not
   * running (just finished, or not started yet) has no gate waiting.
   */
  private async readGates(id: string, deadline: number): Promise<GateRead> {
    const read = this.approvals.gates(id).then(
      (gates): GateRead => ({ gates }),
      (err: unknown): GateRead => {
        const code = err instanceof ApiError ? (err.getResponse() as { error?: string }).error : undefined;
        if (code === 'playbook_not_running' || code === 'incident_not_found') return { gates: [] };
        if (code === 'temporal_unavailable') return { unread: "Temporal, or a worker of its playbook's version, did not answer" };
        if (code === 'playbook_failed') return { unread: 'its playbook is failing on its worker' };
        this.log.warn(`/palisade could not read incident ${id}'s gates: ${(err as Error).message}`);
        return { unread: `reading them failed: ${escapeMrkdwn((err as Error).message.slice(0, 200))}` };
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<GateRead>((resolve) => {
      timer = setTimeout(() => resolve({ unread: NOT_IN_TIME }), Math.max(0, deadline - performance.now()));
    });
    try {
      return await Promise.race([read, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private link(id: string): string {
    return `${this.config.publicUrl}/incidents/${id}`;
  }
}

/** An incident's gates as its playbook holds them, or why they could not be read. */
type GateRead = { gates: GateState[] } | { unread: string };

/** Why a read still out at the deadline, or not started by then, counts as not read. */
const NOT_IN_TIME = 'no answer within the 3 seconds Slack gives a command';

/** The caller as a person who may read incidents, or the sentence saying why not. */
function readerOf(who: SlackWho, slackUserId: string): Approver | string {
  if (who.kind === 'person' && who.person.roles.length > 0) return who.approver;
  if (who.kind === 'refused' && who.code !== 'unknown_person') return refusal(who);
  return `\`${SLASH_COMMAND}\` needs a person in runbooks/people.yaml with a role (viewer or higher), and Palisade does not know <@${slackUserId}> as one. Ask an admin to add your Slack user id (or your email) and a role there.`;
}

/** Why Palisade will not act for the caller, and what they can do about it. */
function refusal(who: Extract<SlackWho, { kind: 'refused' }>): string {
  return who.code === 'identity_unverified' ? `${who.message} ${UNVERIFIED_HINT}` : who.message;
}

/** Whatever kept Palisade from knowing who the caller is (Slack slow or failing), they may look elsewhere. */
const UNVERIFIED_HINT =
  'Try again in a moment, or use the `palisade` CLI (`palisade incidents ls`, `palisade approve`) or the web page.';

/** Whether this person's vote on the gate would count now (the validator's own rules). */
function mayVote(gate: GateState, approver: Approver): boolean {
  try {
    checkVote(gate, { gateId: gate.id, decision: 'deny', approver }, new Date());
    return true;
  } catch (err) {
    if (err instanceof VoteRejected) return false;
    throw err;
  }
}

function gateLine(g: GateState): string {
  const approvals = g.votes.filter((v) => v.decision === 'approve').length;
  return `*${escapeMrkdwn(g.step)}*: ${approvals} of ${g.needed} approvals, ${g.deadline ? `decide by ${g.deadline}` : 'paused, no deadline'} (gate \`${g.id}\`)`;
}
