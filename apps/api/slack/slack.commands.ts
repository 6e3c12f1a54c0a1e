import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { In, Not, type Repository } from 'typeorm';
import { checkVote, VoteRejected, type Approver, type GateState } from '../../../lib/approvals/gate';
import { IncidentEntity } from '../../../lib/db/entities/incident.entity';
import { SLASH_COMMAND } from '../../../lib/slack/actions';
import { escapeMrkdwn } from '../../../lib/slack/templates';
import type { PalisadeConfig } from '../../../lib/config/env';
import { ApprovalsService } from '../approvals/approvals.service';
import { IncidentsService } from '../incidents/incidents.service';
import { PALISADE_CONFIG } from '../config/config.module';
import { SlackIdentity, type SlackWho } from './slack.identity';
import { SLACK_INCIDENT_ACTIONS, slackIncidentAction, type SlackIncidentAction } from './slack.incident-actions';

/** Open incidents `/palisade pending` looks through, newest first. */
const PENDING_SCAN = 50;
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
    app.command(SLASH_COMMAND, async ({ command, ack, client }) => {
      const [verb, ...args] = command.text.trim().split(/\s+/);
      let text: string;
      try {
        const acts = (SLACK_INCIDENT_ACTIONS as readonly string[]).includes(verb);
        if (!acts && verb !== 'status' && verb !== 'pending') text = USAGE;
        else {
          // Who the caller is, resolved once for the whole command.
          const who = await this.identity.resolve(client, command.user_id);
          const reader = readerOf(who, command.user_id);
          if (typeof reader === 'string') text = reader;
          else if (acts) text = await this.actAs(who, verb as SlackIncidentAction, command.text.trim().slice(verb.length));
          else if (verb === 'pending') text = await this.pending(reader);
          else text = args[0] ? await this.status(args[0]) : USAGE;
        }
      } catch (err) {
        this.log.warn(`/palisade ${command.text} failed: ${(err as Error).message}`);
        text = `Palisade could not answer: ${(err as Error).message}`;
      }
      await ack({ response_type: 'ephemeral', text });
    });
  }

  private async status(id: string): Promise<string> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return `\`${escapeMrkdwn(id)}\` is not an incident id (a UUID, as in the incident's link). ${USAGE}`;
    const incident = await this.incidents.findOneBy({ id });
    if (!incident) return `No incident ${id}.`;
    const lines = [
      `*<${this.link(id)}|${escapeMrkdwn(incident.title)}>*`,
      `${incident.status} · ${incident.severity} · ${incident.playbook} ${incident.playbookVersion} · ${escapeMrkdwn(incident.entity ?? 'no entity')} · ${incident.alertCount} alert(s)`,
    ];
    if (incident.status !== 'resolved' && incident.status !== 'cancelled') {
      const gates = await this.approvals.gates(id).catch(() => undefined);
      if (!gates) lines.push('_Its playbook did not answer: the timeline has the latest._');
      const waiting = (gates ?? []).filter((g) => g.status === 'open' || g.status === 'paused');
      for (const g of waiting) lines.push(`:hourglass_flowing_sand: ${gateLine(g)}`);
      if (gates && waiting.length === 0) lines.push('No approval waiting.');
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
    if (who.kind === 'refused') return who.message;
    if (who.kind !== 'person') return `\`/palisade ${verb}\` needs a person in runbooks/people.yaml with the responder role.`;
    return slackIncidentAction(this.incidentActions, who.person, verb, rest);
  }

  private async pending(approver: Approver): Promise<string> {
    const open = await this.incidents.find({ where: { status: Not(In(['resolved', 'cancelled'])) }, order: { detectedAt: 'DESC' }, take: PENDING_SCAN });
    const lines: string[] = [];
    for (const incident of open) {
      const gates = await this.approvals.gates(incident.id).catch(() => []);
      for (const gate of gates.filter((g) => (g.status === 'open' || g.status === 'paused') && mayVote(g, approver))) {
        lines.push(`• <${this.link(incident.id)}|${escapeMrkdwn(incident.title)}>: ${gateLine(gate)}`);
      }
    }
    return lines.length ? `Waiting on you (${lines.length}):\n${lines.join('\n')}` : 'Nothing waits on you.';
  }

  private link(id: string): string {
    return `${this.config.publicUrl}/incidents/${id}`;
  }
}

/** The caller as a person who may read incidents, or the sentence saying why not. */
function readerOf(who: SlackWho, slackUserId: string): Approver | string {
  if (who.kind === 'person' && who.person.roles.length > 0) return who.approver;
  if (who.kind === 'refused' && who.code !== 'unknown_person') return who.message;
  return `\`${SLASH_COMMAND}\` needs a person in runbooks/people.yaml with a role (viewer or higher), and Palisade does not know <@${slackUserId}> as one. Ask an admin to add your Slack user id (or your email) and a role there.`;
}

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
