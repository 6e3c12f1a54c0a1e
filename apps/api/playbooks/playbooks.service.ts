import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import type { PalisadeConfig } from '../../../lib/config/env';
import { listApprovers } from '../../../lib/approvals/gate';
import { loadApprovalPolicies, policiesFor } from '../../../lib/approvals/policy-file';
import { describeError } from '../../../lib/errors';
import { readRunbookPage } from '../../../lib/runbook-page';
import { boundedKey } from '../../../lib/intake/entity-key';
import { workflowIdFor } from '../../../lib/intake/routing';
import { RUNNER_STEPS, type Catalogue, type PlaybookEntry, type PlaybookSource } from '../../../lib/playbooks/catalogue';
import { runStartOptions } from '../../../lib/temporal/run-start';
import type { PlaybookInput } from '../../../workflows/shared/input';
import type { Redactor } from '../../../lib/intake/redact';
import { ApiError } from '../common/error.filter';
import { REDACTOR } from '../webhooks/webhooks.tokens';
import { CATALOGUE, PALISADE_CONFIG } from '../config/config.module';
import type { StartRunDto } from './dto/start-run.dto';
import { PeopleDirectory } from '../common/people.directory';
import { isTemporalUnreachable, TEMPORAL_DEADLINE_MS, temporalUnavailable } from '../common/temporal-errors';

export interface PlaybookView {
  name: string;
  workflowType: string;
  version: string;
  description: string;
  /** Whether a responder may start it with POST /playbooks/:name/runs. */
  manual: boolean;
  /** JSON schema of its params when it can be started by hand, else null. */
  paramsSchema: Record<string, unknown> | null;
  /** Its runbook page (runbooks/<name>.md, or runbook.md in a team's folder), or null. */
  runbook: string | null;
  /** The step names its timeline can show, as its declaration lists them (`{…}` stands for a value). */
  steps: string[];
  /** Steps every playbook's timeline can show besides its own (the runner's pages and notices). */
  runnerSteps: string[];
  /** Its approval gates, as its declaration lists them and runbooks/approvals.yaml sets them. */
  gates: GateView[];
  /** Where it came from: shipped with the engine, or a team's folder (PALISADE_PLAYBOOKS_DIR). */
  source: PlaybookSource;
}

export interface GateView {
  id: string;
  approvers: string;
  quorum: number;
  criticalQuorum: number;
  fourEyes: boolean;
  timeout: string;
  /** Each tier told when the one before it timed out, and how long it has. */
  escalation: { notify: string; timeout: string }[];
  fallback: string;
}

export interface StartedRun {
  incidentId: string;
  workflowId: string;
}

@Injectable()
export class PlaybooksService {
  private readonly log = new Logger('PlaybooksService');
  private readonly views: PlaybookView[];

  constructor(
    @Inject(Client) private readonly temporal: Client,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
    @Inject(PeopleDirectory) private readonly people: PeopleDirectory,
    @Inject(REDACTOR) private readonly redactor: Redactor,
    @Inject(CATALOGUE) private readonly catalogue: Catalogue,
  ) {
    const policies = loadApprovalPolicies(config.playbooks.approvalsFile);
    this.views = catalogue.entries.map((p) => {
      const resolved = policiesFor(policies, p.name);
      return {
        name: p.name,
        workflowType: p.workflowType,
        version: p.version,
        description: p.description,
        manual: p.manualStart !== undefined,
        paramsSchema: p.manualStart ? z.toJSONSchema(manualParams(p), { io: 'input', unrepresentable: 'any' }) : null,
        runbook: runbookOf(p, config.playbooks.runbooksDir),
        steps: [...p.steps],
        runnerSteps: [...RUNNER_STEPS],
        source: p.source.kind === 'shipped' ? { kind: 'shipped', dir: path.relative(process.cwd(), p.source.dir) || p.source.dir } : p.source,
        gates: p.gates.map((id) => [id, resolved.gates[id] ?? resolved.fallback] as const).map(([id, g]) => ({
          id,
          approvers: listApprovers(g.approvers) ?? 'nobody',
          quorum: g.quorum,
          criticalQuorum: g.criticalQuorum,
          fourEyes: g.fourEyes,
          timeout: g.timeout,
          escalation: g.escalation.map((t) => ({ notify: t.notify, timeout: t.timeout })),
          fallback: g.fallback,
        })),
      };
    });
  }

  list(): PlaybookView[] {
    return this.views;
  }

  /**
   * Opens an incident and starts its playbook run. The open-incident row goes in first, under
   * the same unique index the door uses, so a hand start and an alert agree on one incident;
   * if Temporal does not take the run, the row is removed again.
   */
  /** `tokenName`: the caller, who must be a person (four-eyes compares approvers against them). */
  async start(name: string, dto: StartRunDto, tokenName: string): Promise<StartedRun> {
    const playbook = this.manualStart(name);
    const manual = playbook.manualStart!;
    const requestedBy = this.people.require(tokenName, 'API token name').id;
    // Params and title are redacted before they become the run's input in Temporal history.
    const params = parseParams(playbook, this.redactor.redactDeep(dto.params));
    const entity = manual.entity(params);
    const entityKey = boundedKey(`${entity.kind}:${entity.key}`);
    const input: PlaybookInput = {
      incidentId: randomUUID(),
      playbook: name,
      playbookVersion: playbook.version,
      entityKey,
      entity,
      title: this.redactor.redactText(dto.title ?? manual.title(params)),
      severity: dto.severity,
      source: 'manual',
      detectedAt: new Date().toISOString(),
      requestedBy,
      params,
      timelineSequence: 0,
    };
    const workflowId = workflowIdFor(name, entityKey);
    await this.openIncident(input, workflowId);
    try {
      await this.temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
        this.temporal.workflow.start(playbook.workflowType, {
          taskQueue: this.config.temporal.taskQueue,
          workflowId,
          args: [input],
          ...runStartOptions({ incidentId: input.incidentId, playbook: name, playbookVersion: playbook.version, severity: input.severity, entityKey, sources: ['manual'] }),
        }),
      );
    } catch (err) {
      // A start that timed out may have landed all the same: then the incident is real.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError) && (await this.startedAfterAll(workflowId, input.incidentId))) {
        return { incidentId: input.incidentId, workflowId };
      }
      // No run, no incident.
      await this.discardIncident(input.incidentId);
      throw startFailed(err, name, entityKey, workflowId);
    }
    return { incidentId: input.incidentId, workflowId };
  }

  private manualStart(name: string): PlaybookEntry {
    const playbook = this.catalogue.get(name);
    if (!playbook) {
      throw new ApiError(HttpStatus.NOT_FOUND, 'unknown_playbook', `There is no playbook '${name}'; known: ${this.catalogue.names.join(', ')}.`, 'GET /playbooks lists them with their params.');
    }
    if (!playbook.manualStart) {
      throw new ApiError(
        HttpStatus.BAD_REQUEST,
        'playbook_not_startable',
        `The ${name} playbook cannot be started by hand: it runs for alerts that no routing rule gives another playbook.`,
        'Send the alert through POST /webhooks/:source, or start one of the playbooks GET /playbooks marks manual.',
      );
    }
    return playbook;
  }

  /** Inserts the open incident, or answers 409 naming the one already open for this workflow id. */
  private async openIncident(input: PlaybookInput, workflowId: string): Promise<void> {
    const inserted = await this.db.query<{ id: string }[]>(
      `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at, alert_count)
       VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, 0)
       ON CONFLICT (workflow_id) WHERE status NOT IN ('resolved', 'cancelled') DO NOTHING
       RETURNING id`,
      [input.incidentId, workflowId, input.title, input.severity, input.playbook, input.playbookVersion, input.entityKey, input.detectedAt],
    );
    if (inserted.length > 0) return;
    const [open] = await this.db.query<{ id: string }[]>(
      `SELECT id FROM incidents WHERE workflow_id = $1 AND status NOT IN ('resolved', 'cancelled')`,
      [workflowId],
    );
    throw new ApiError(
      HttpStatus.CONFLICT,
      'incident_already_open',
      open
        ? `Incident ${open.id} is already open for ${input.entityKey} under ${input.playbook}.`
        : `An incident for ${input.entityKey} under ${input.playbook} was open a moment ago.`,
      open ? `Follow it at /incidents/${open.id}; resolve or cancel it before starting another run.` : 'Retry: it has just closed.',
    );
  }

  /** Whether the run for this incident exists after a start whose answer was lost. */
  private async startedAfterAll(workflowId: string, incidentId: string): Promise<boolean> {
    try {
      const run = await this.temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => this.temporal.workflow.getHandle(workflowId).describe());
      return run.memo?.incidentId === incidentId;
    } catch {
      return false;
    }
  }

  private async discardIncident(incidentId: string): Promise<void> {
    try {
      await this.db.query(`DELETE FROM incidents WHERE id = $1`, [incidentId]);
    } catch (err) {
      this.log.error(`incident ${incidentId} has no playbook run and could not be removed: ${describeError(err)}; cancel it by hand`);
    }
  }
}

/**
 * The playbook's one params schema, as a hand start takes it: the params its declaration
 * says a responder must give (`manualStart.requires`) are required here.
 */
function manualParams(playbook: PlaybookEntry): z.ZodType {
  const requires = playbook.manualStart?.requires ?? [];
  if (requires.length === 0 || !(playbook.params instanceof z.ZodObject)) return playbook.params;
  return playbook.params.required(Object.fromEntries(requires.map((k) => [k, true])) as Record<string, true>);
}

function parseParams(playbook: PlaybookEntry, params: Record<string, unknown>): Record<string, unknown> {
  const parsed = manualParams(playbook).safeParse(params);
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const problems = parsed.error.issues.map((i) => `${['params', ...i.path].join('.')}: ${i.message}`).join('; ');
  throw new ApiError(HttpStatus.BAD_REQUEST, 'invalid_params', `The params are not valid for ${playbook.name}: ${problems}.`, `GET /playbooks shows the params ${playbook.name} takes.`);
}

/** Its runbook page: runbooks/<name>.md for a shipped playbook, runbook.md in a team's folder. */
function runbookOf(playbook: PlaybookEntry, runbooksDir: string): string | null {
  return playbook.source.kind === 'team' ? readRunbookPage(playbook.source.dir, 'runbook').text : readRunbookPage(runbooksDir, playbook.name).text;
}

function startFailed(err: unknown, name: string, entityKey: string, workflowId: string): unknown {
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return new ApiError(
      HttpStatus.CONFLICT,
      'playbook_still_running',
      `The previous ${name} run for ${entityKey} (workflow ${workflowId}) is still finishing.`,
      'Retry in a few seconds; no incident was opened.',
    );
  }
  if (isTemporalUnreachable(err)) {
    return temporalUnavailable(`Temporal did not take the ${name} run for ${entityKey}, so no incident was opened.`, 'Retry once Temporal is back (GET /readyz shows whether it answers).');
  }
  return err;
}
