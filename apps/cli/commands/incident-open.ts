import type { ApiClient } from './api-client';
import { CliError, EXIT } from './exit-codes';
import { printJson, say } from './output';

interface Started {
  incidentId: string;
  workflowId: string;
}

/** `palisade incidents open "<title>" --severity <s> [--entity <e>]` (responder): reports an incident by hand. */
export async function incidentOpen(client: ApiClient, title: string, opts: { severity: string; entity?: string; json?: boolean }): Promise<void> {
  const started = await client.post<Started>('/incidents', { title, severity: opts.severity, ...(opts.entity ? { entity: opts.entity } : {}) });
  if (opts.json) return printJson(started);
  say(`Incident ${started.incidentId} opened (its manual-incident playbook waits for a responder to resolve or cancel it).`);
}

/** `palisade playbook run <name> --param k=v … [--severity] [--title]` (responder): starts a playbook by hand on the entity its params name. */
export async function playbookRun(client: ApiClient, name: string, opts: { param?: string[]; severity?: string; title?: string; json?: boolean }): Promise<void> {
  const params: Record<string, unknown> = {};
  for (const pair of opts.param ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new CliError(EXIT.usage, 'invalid_option', `--param '${pair}' is not key=value.`, 'e.g. --param host=web-1 (a JSON value works too: --param waves=[10,50,100])');
    const raw = pair.slice(eq + 1);
    params[pair.slice(0, eq)] = parsed(raw);
  }
  const started = await client.post<Started>(`/playbooks/${encodeURIComponent(name)}/runs`, { params, ...(opts.severity ? { severity: opts.severity } : {}), ...(opts.title ? { title: opts.title } : {}) });
  if (opts.json) return printJson(started);
  say(`Playbook ${name} started: incident ${started.incidentId} (palisade incidents tail ${started.incidentId.slice(0, 8)}).`);
}

/** A JSON value when it reads as one (numbers, lists, true), else the text as typed. */
function parsed(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
