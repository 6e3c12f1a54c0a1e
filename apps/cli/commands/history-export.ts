import { Client, Connection, isGrpcServiceError, ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PalisadeConfig } from '../../../lib/config/env';
import { describeError, PalisadeError } from '../../../lib/errors';
import { HISTORY_DIR } from './history-dir';
import { historyFileText, historyFromJson } from './history-json';

/** gRPC status of a malformed request (e.g. a run id that is not a UUID). */
const GRPC_INVALID_ARGUMENT = 3;

export { HISTORY_DIR } from './history-dir';

export interface ExportRequest {
  workflowId: string;
  /** Default: the workflow's latest run. */
  runId?: string;
  /** Default: HISTORY_DIR, relative to the working directory. */
  outDir?: string;
  /** A file name inside outDir; default `<workflowType>-<first 8 of the run id>.json`. */
  name?: string;
}

export interface ExportedHistory {
  file: string;
  events: number;
  workflowType: string;
  runId: string;
  /** The run's status when exported (RUNNING for a run waiting at a gate). */
  status: string;
}

/**
 * Writes a run's history as the JSON Temporal's tools use (`temporal workflow show --output
 * json`), which `Worker.runReplayHistories` replays (see history-json.ts). A running
 * workflow's history so far is exported as is. Used by `palisade history export` and
 * scripts/record-histories.ts.
 */
export async function exportHistory(client: Client, req: ExportRequest): Promise<ExportedHistory> {
  const handle = client.workflow.getHandle(req.workflowId, req.runId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    throw lookupFailed(err, req, client.options.namespace);
  }
  // Fetch the run described, not "the latest", so type, name and events agree.
  const history = await client.workflow.getHandle(req.workflowId, description.runId).fetchHistory();
  const json = historyFileText(history);
  // Read back what is about to be written: the count printed is what a replay will see.
  const events = historyFromJson(JSON.parse(json)).events?.length ?? 0;

  const dir = path.resolve(req.outDir ?? HISTORY_DIR);
  const file = path.join(dir, req.name !== undefined ? checkedName(req.name) : defaultName(description.type, description.runId));
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, json);
  return { file, events, workflowType: description.type, runId: description.runId, status: description.status.name };
}

/** `<workflowType>-<first 8 of the run id>.json`, with anything but letters, digits, `.`, `_`, `-` replaced. */
export function defaultName(workflowType: string, runId: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '');
  return `${safe(workflowType) || 'workflow'}-${safe(runId.slice(0, 8))}.json`;
}

function checkedName(name: string): string {
  const file = name.endsWith('.json') ? name : `${name}.json`;
  if (file.startsWith('.') || /[^A-Za-z0-9._-]/.test(file)) {
    throw new PalisadeError(
      'invalid_history_name',
      `'${name}' is not a plain file name.`,
      'Use letters, digits, dots, dashes and underscores only (e.g. host-compromise-open-gate); choose the folder with --out.',
    );
  }
  return file;
}

/** A missing workflow or a malformed id as an error the user can act on; anything else as is. */
function lookupFailed(err: unknown, req: ExportRequest, namespace: string): unknown {
  const which = req.runId ? `Workflow '${req.workflowId}' run ${req.runId}` : `Workflow '${req.workflowId}'`;
  if (err instanceof WorkflowNotFoundError) {
    return new PalisadeError(
      'workflow_not_found',
      `${which} was not found in namespace '${namespace}'.`,
      'Use the workflowId GET /incidents/:id shows (e.g. host-compromise:host:web-1), and check TEMPORAL_ADDRESS points at the server that runs it.',
      { cause: err },
    );
  }
  const grpc = err instanceof ServiceError ? err.cause : err;
  if (isGrpcServiceError(grpc) && (grpc.code as number) === GRPC_INVALID_ARGUMENT) {
    const hint = req.runId ? 'A run id is a UUID; leave --run-id out to export the latest run.' : 'Use the workflowId GET /incidents/:id shows.';
    return new PalisadeError('invalid_lookup', `${which} cannot be looked up: ${grpc.details.replace(/\.+$/, '')}.`, hint, { cause: err });
  }
  return err;
}

/** The Temporal the CLI talks to: TEMPORAL_ADDRESS, else the dev server `npm start` runs. */
export function cliTemporalAddress(config: PalisadeConfig): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.devServerPort}`;
}

/** A client of the Temporal the CLI talks to, or an error that says which server did not answer and what to do. */
export async function connectTemporal(config: PalisadeConfig): Promise<Client> {
  const address = cliTemporalAddress(config);
  try {
    const connection = await Connection.connect({ address, connectTimeout: 5_000 });
    return new Client({ connection, namespace: config.temporal.namespace });
  } catch (err) {
    throw new PalisadeError(
      'temporal_unreachable',
      `Temporal at ${address} did not answer: ${describeError(err)}.`,
      config.temporal.address
        ? 'Start that server or correct TEMPORAL_ADDRESS (host:port of its frontend).'
        : 'Start Palisade (`npm start`) first, or set TEMPORAL_ADDRESS (or PALISADE_TEMPORAL_PORT) to the server that runs the workflow.',
      { cause: err },
    );
  }
}

/** `palisade history export <workflowId>`: connects, exports, and says where it wrote. */
export async function historyExport(config: PalisadeConfig, workflowId: string, opts: { runId?: string; out?: string; name?: string }): Promise<string> {
  const client = await connectTemporal(config);
  try {
    const out = await exportHistory(client, { workflowId, runId: opts.runId, outDir: opts.out, name: opts.name });
    const shown = path.relative(process.cwd(), out.file) || out.file;
    return `Wrote ${shown}: ${out.events} events of ${out.workflowType} run ${out.runId} (${out.status.toLowerCase()}).`;
  } finally {
    await client.connection.close();
  }
}
