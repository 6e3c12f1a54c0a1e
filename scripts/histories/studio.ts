// What the history-recording scenarios (./scenarios.ts) drive the engine with.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimulatedFleet } from '../../activities/providers/simulated/fleet';
import { exportHistory } from '../../apps/cli/commands/history-export';
import type { Severity } from '../../lib/domain/incident';
import { describeError } from '../../lib/errors';
import type { AlertEntity, AlertSeverity, SourceName } from '../../lib/intake/alert';
import { workflowIdFor } from '../../lib/intake/routing';
import { runStartOptions } from '../../lib/temporal/run-start';
import type { Catalogue } from '../../lib/playbooks/catalogue';
import type { FakeSlack, SlackCall } from '../../test/support/fake-slack';
import { PEOPLE } from '../../test/support/people';
import type { PlaybookInput } from '../../workflows/shared/input';
import { decideUpdate, stateQuery, type AlertBatch } from '../../workflows/shared/messages';
import type { PlaybookOutcome } from '../../workflows/shared/runner';

const ROOT = path.resolve(__dirname, '../..');

/** What scenarios drive the engine with: a client, the simulated fleet, and the file each one writes. */
export class Studio {
  constructor(
    readonly client: Client,
    readonly fleet: SimulatedFleet,
    /** The fake Slack Web API the worker posts approval requests to. */
    readonly slack: FakeSlack,
    readonly taskQueue: string,
    private readonly outDir: string,
    private readonly name: string,
    /** The shipped playbooks (versions, workflow types, params). */
    private readonly catalogue: Catalogue,
  ) {}

  /** Writes the run's history so far as `<scenario name>.json`, once the run is idle (closed, or waiting). */
  async save(handle: WorkflowHandle): Promise<void> {
    await this.until('the run to be idle', async () => {
      const { raw } = await handle.describe();
      return (raw.pendingActivities?.length ?? 0) === 0 && !raw.pendingWorkflowTask;
    });
    const out = await exportHistory(this.client, { workflowId: handle.workflowId, outDir: this.outDir, name: this.name });
    console.log(`  wrote ${path.relative(ROOT, out.file)}: ${out.events} events (${out.workflowType}, ${out.status.toLowerCase()})`);
  }

  playbookInput(playbook: string, entity: AlertEntity, opts: { source: SourceName | 'manual'; requestedBy?: string; params?: Record<string, unknown>; title?: string; severity?: Severity }): PlaybookInput {
    return {
      incidentId: randomUUID(),
      playbook,
      playbookVersion: this.catalogue.require(playbook, 'scenario').version,
      entityKey: `${entity.kind}:${entity.key}`,
      entity,
      title: opts.title ?? `${playbook} on ${entity.display}`,
      severity: opts.severity ?? 'high',
      source: opts.source,
      detectedAt: new Date().toISOString(),
      requestedBy: opts.requestedBy,
      params: opts.params,
      timelineSequence: 0,
    };
  }

  /** Starts a run as the door would (or, with `requestedBy`, as a responder would). */
  async start(playbook: string, entity: AlertEntity, opts: Parameters<Studio['playbookInput']>[2]): Promise<WorkflowHandle> {
    const input = this.playbookInput(playbook, entity, opts);
    const announced = runStartOptions({ ...input, sources: [input.source] });
    return this.client.workflow.start(this.catalogue.require(playbook, 'scenario').workflowType, { workflowId: workflowIdFor(playbook, input.entityKey), taskQueue: this.taskQueue, args: [input], ...announced });
  }

  /** Starts a run as `POST /playbooks/:name/runs` does: params checked (defaults filled) by the playbook's schema; carol asks. */
  async startByHand(playbook: string, raw: Record<string, unknown>): Promise<WorkflowHandle> {
    const entry = this.catalogue.require(playbook, 'scenario');
    const manual = entry.manualStart;
    if (!manual) throw new Error(`${playbook} cannot be started by hand`);
    const params = entry.params.parse(raw) as Record<string, unknown>;
    return this.start(playbook, manual.entity(params), { source: 'manual', requestedBy: 'carol', params, title: manual.title(params) });
  }

  async host(id: string, environment: 'production' | 'development'): Promise<AlertEntity> {
    await this.fleet.addHost({ id, hostname: id, owner: 'team-web', environment, criticality: 'medium', tags: { 'golden-image': 'ami-golden-7' } });
    return { kind: 'host', key: id, display: id };
  }

  gateOpen(handle: WorkflowHandle, gateId: string): Promise<void> {
    return this.until(`gate ${gateId} to open`, async () => (await handle.query(stateQuery)).pendingGates?.some((g) => g.id === gateId) ?? false);
  }

  alertCount(handle: WorkflowHandle, count: number): Promise<void> {
    return this.until(`${count} alerts`, async () => (await handle.query(stateQuery)).alertCount >= count);
  }

  async vote(handle: WorkflowHandle, gateId: string, who: keyof typeof PEOPLE, reason: string, choice?: string, slackUserId?: string): Promise<string> {
    const approver = slackUserId ? { ...PEOPLE[who], via: 'slack' as const, slackUserId } : PEOPLE[who];
    const verdict = await handle.executeUpdate(decideUpdate, { args: [{ gateId, decision: 'approve', approver, reason, choice }] });
    return verdict.outcome;
  }

  /** Waits until the worker posted the gate's approval request to Slack; returns the message's ts. */
  async slackPosted(incidentId: string, gateId: string): Promise<string> {
    let ts: string | undefined;
    await this.until(`Slack to receive the request of ${gateId}`, async () => {
      const payload = (c: SlackCall) => (c.args.metadata as { event_payload?: { incidentId?: string; gateId?: string } } | undefined)?.event_payload;
      ts = this.slack.callsOf('chat.postMessage').find((c) => payload(c)?.incidentId === incidentId && payload(c)?.gateId === gateId)?.response?.ts as string | undefined;
      return ts !== undefined;
    });
    return ts!;
  }

  /** Waits until a posted message was re-rendered showing `text`. */
  slackUpdated(ts: string, text: string): Promise<void> {
    return this.until(`Slack to show "${text}"`, async () => this.slack.callsOf('chat.update').some((c) => c.args.ts === ts && JSON.stringify(c.args.blocks).includes(text)));
  }

  /** Waits for the playbook's outcome. */
  finish(handle: WorkflowHandle): Promise<PlaybookOutcome> {
    return handle.result() as Promise<PlaybookOutcome>;
  }

  /** Approves every gate the run opens (alice, then bob where two are needed; the first option, if any) until it ends. */
  async approveUntilDone(handle: WorkflowHandle): Promise<PlaybookOutcome> {
    const done = this.finish(handle).then((outcome) => ({ outcome }));
    const voted = new Set<string>();
    for (;;) {
      const finished = await Promise.race([done, sleep(250).then(() => undefined)]);
      if (finished) return finished.outcome;
      const state = await handle.query(stateQuery).catch(() => undefined);
      if (state?.phase === 'failed') throw new Error(`the playbook failed at "${state.currentStep ?? '?'}" (see its timeline)`);
      for (const gate of state?.pendingGates ?? []) {
        if (gate.status !== 'open') continue;
        for (const who of ['alice', 'bob'] as const) {
          const key = `${gate.id}/${gate.requestedAt}/${who}`;
          if (voted.has(key) || gate.votes.some((v) => v.approverId === who)) continue;
          voted.add(key);
          const outcome = await this.vote(handle, gate.id, who, 'recorded scenario', gate.options?.[0]).catch((err: unknown) => `rejected (${describeError(err)})`);
          if (outcome !== 'pending') break;
        }
      }
    }
  }

  async until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await sleep(100);
    }
  }
}

/** A merged batch as the inbox dispatcher would send it. */
export function batch(incidentId: string, lastInboxId: number, count: number, source: SourceName, severity: AlertSeverity): AlertBatch {
  const at = new Date().toISOString();
  return {
    incidentId,
    lastInboxId,
    count,
    firstSeen: at,
    lastSeen: at,
    sources: [source],
    maxSeverity: severity,
    evidence: [{ alertId: randomUUID(), source, title: 'reverse shell', severity, fingerprint: `rec-${lastInboxId}`, observedAt: at }],
  };
}
