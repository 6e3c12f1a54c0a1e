import 'reflect-metadata';
import { Command } from 'commander';
import { loadCliSettings, type CliSettings } from '../../lib/config/cli';
import { loadConfig } from '../../lib/config/env';
import { INCIDENT_STATUSES } from '../../lib/domain/incident';
import { describeError, PalisadeError } from '../../lib/errors';
import { ApiClient, type ApiOptions } from './commands/api-client';
import { vote } from './commands/approvals';
import { registerDeploy } from './commands/deploy-commands';
import { CliError, EXIT, EXIT_CODES_HELP } from './commands/exit-codes';
import { HISTORY_DIR } from './commands/history-dir';
import { alertShow } from './commands/alert-show';
import { registerIncidentWork, registerPlaybookRun, registerRelatedIncidents } from './commands/incident-work-commands';
import { incidentsList, incidentsShow, type ListOptions } from './commands/incidents';
import { incidentsTail } from './commands/incidents-tail';
import { postmortem } from './commands/postmortem';
import { report } from './commands/report';
import { registerReview } from './commands/postmortem-review-commands';
import { tokenClaim, tokenCreate, tokenList, tokenRevoke } from './commands/tokens';

// Commands that load Temporal's SDK, the engine or the intake adapters are imported when they
// run, so the API commands start in well under a second.

const program = new Command()
  .name('palisade')
  .description('Palisade incident playbook engine.')
  .option('--api <url>', 'the Palisade API (default: PALISADE_API_URL, else http://127.0.0.1:$PORT)')
  .option('--token <token>', 'an API token (default: PALISADE_TOKEN)')
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Environment:
  PALISADE_API_URL   the API the commands talk to (default http://127.0.0.1:3000, or HOST/PORT)
  PALISADE_TOKEN     the API token they send (\`palisade token create\`; npm start's data folder has the first admin's)
  PALISADE_WEBHOOK_SECRET_<SOURCE>  what \`alert send\` signs with (else <PALISADE_DATA_DIR>/secrets.env)

${EXIT_CODES_HELP}`,
  );

/** The CLI's variables, read once (lib/config/cli.ts). */
let settings: CliSettings | undefined;
const cliSettings = () => (settings ??= loadCliSettings(process.env));
/** The API as this command's --api / --token (or the environment) name it. */
const api = (cmd: Command) => new ApiClient(cmd.optsWithGlobals<ApiOptions>(), cliSettings());
/** Set when the command runs with --json: errors are then also printed as JSON on stdout. */
let jsonOutput = false;
program.hook('preAction', (_program, command) => {
  jsonOutput = command.opts<{ json?: boolean }>().json === true;
});

program
  .command('start')
  .description(
    'Run the engine: Temporal (unless TEMPORAL_ADDRESS is set), Postgres (unless DATABASE_URL is set), the worker and the API.',
  )
  .action(async () => {
    const say = (line: string) => console.log(line);
    const { runEngine } = await import('./start/supervisor');
    await runEngine({ config: loadConfig(process.env), env: process.env, say });
  });

const cluster = program.command('cluster').description("up: the production topology on this machine (Temporal's real server on PostgreSQL, two APIs, two workers).");
cluster
  .command('up')
  .description(
    "Build Temporal's server v1.29.1 once into the cache, start PostgreSQL and Temporal's four services as separate processes, then two APIs (PORT, PORT+1) and two workers. Ctrl-C stops everything.",
  )
  .action(async () => {
    const say = (line: string) => console.log(line);
    const { runCluster } = await import('./cluster/cluster');
    await runCluster({ config: loadConfig(process.env), env: process.env, say });
  });

program
  .command('routing')
  .description('Check routing rules (runbooks/routing.yaml, or PALISADE_ROUTING_FILE).')
  .command('test')
  .argument('<source>', 'the webhook source, e.g. falco')
  .argument('<file>', 'a JSON payload as the vendor sends it')
  .option('-H, --header <name:value...>', 'a request header the adapter reads, e.g. "X-GitHub-Event: secret_scanning_alert"')
  .description('Show which rule an alert matches and which incident it would join.')
  .action(async (source: string, file: string, opts: { header?: string[] }) => {
    const { routingTest } = await import('./commands/routing-test');
    const headers = Object.fromEntries(
      (opts.header ?? []).map((h) => [h.slice(0, h.indexOf(':')).trim().toLowerCase(), h.slice(h.indexOf(':') + 1).trim()]),
    );
    console.log(await routingTest(loadConfig(process.env), source, file, headers));
  });

program
  .command('history')
  .description('Workflow histories for replay tests (test/histories/).')
  .command('export')
  .argument('<workflowId>', 'the workflow id, e.g. host-compromise:host:web-1')
  .option('--run-id <id>', 'a run of that workflow (default: the latest)')
  .option('--out <dir>', 'the folder to write to', HISTORY_DIR)
  .option('--name <file>', 'the file name (default: <workflowType>-<run id prefix>.json)')
  .description('Write the history of a workflow run (running or closed) as JSON that the replay tests read.')
  .action(async (workflowId: string, opts: { runId?: string; out: string; name?: string }) => {
    const { historyExport } = await import('./commands/history-export');
    console.log(await historyExport(loadConfig(process.env), workflowId, opts));
  });

const alert = program.command('alert').description('send: post a saved alert payload as a SIEM would; show: a stored alert (normalized or OCSF).');
alert
  .command('show')
  .argument('<id>', 'the alert id (alert send prints it)')
  .option('--ocsf', 'as an OCSF Detection Finding (class 2004), JSON')
  .option('--json', 'the normalized alert as JSON')
  .description('A stored alert: source, severity, entity, its incident; --ocsf for its OCSF view.')
  .action(async (id: string, opts: { ocsf?: boolean; json?: boolean }, cmd: Command) => {
    await alertShow(api(cmd), id, opts);
  });
alert
  .command('send')
  .argument('<source>', 'the webhook source, e.g. generic, falco, github')
  .argument('<file>', 'a JSON payload as the vendor sends it (sent byte for byte)')
  .option('--secret <secret>', "the source's secret (default: PALISADE_WEBHOOK_SECRET_<SOURCE>, else <data dir>/secrets.env)")
  .option('--delivery <id>', 'the delivery id (generic: X-Palisade-Delivery, github: X-GitHub-Delivery; default: a new UUID)')
  .option('--event <name>', 'github: the X-GitHub-Event header', 'secret_scanning_alert')
  .option('--json', "print the API's answer as JSON")
  .description('POST a saved payload to /webhooks/<source>, signed the way that source is verified (drills, tests).')
  .action(async (source: string, file: string, opts: { secret?: string; delivery?: string; event: string; json?: boolean }, cmd: Command) => {
    const { alertSend } = await import('./commands/alert-send');
    await alertSend(api(cmd), cliSettings(), source, file, opts);
  });

const incidents = program.command('incidents').description('ls | show | tail: look at incidents and follow their timelines; ack | take | assign | unassign | note | resolve | cancel | edit: work on one.');
incidents
  .command('ls')
  .description('Open incidents, newest first (--all: resolved and cancelled too).')
  .option('--status <list>', `any of ${INCIDENT_STATUSES.join(', ')} (comma-separated)`)
  .option('--severity <list>', 'any of low, medium, high, critical (comma-separated)')
  .option('--playbook <list>', 'any of these playbooks (comma-separated)')
  .option('--entity <key>', 'entity key, * as a wildcard, e.g. "host:web-*"')
  .option('--source <source>', 'with at least one alert from this source')
  .option('--since <time>', 'detected at or after: an ISO time or a duration back from now (30m, 24h, 7d)')
  .option('--until <time>', 'detected before: an ISO time or a duration back from now')
  .option('--assignee <who>', 'owned by: me, or a person (people.yaml id or email)')
  .option('--unassigned', 'owned by nobody')
  .option('--limit <n>', 'at most this many', '50')
  .option('--all', 'every status, not only open ones')
  .option('--json', 'print {incidents, nextCursor} as JSON')
  .action(async (opts: ListOptions, cmd: Command) => {
    await incidentsList(api(cmd), opts);
  });
incidents
  .command('show')
  .argument('<id>', 'the incident id (or its first 8 characters, as `ls` shows it)')
  .option('--events <n>', 'how many of the last timeline events to show', '10')
  .option('--json', 'print {incident, pendingApprovals, events, eventCount} as JSON')
  .description('An incident: status, playbook, times, the approvals it waits for, its last events.')
  .action(async (id: string, opts: { events: string; json?: boolean }, cmd: Command) => {
    await incidentsShow(api(cmd), id, opts);
  });
incidents
  .command('tail')
  .argument('<id>', 'the incident id (or its first 8 characters)')
  .option('--after <sequence>', 'start after this event (default: the whole timeline)', '0')
  .option('--until-closed', 'exit 0 once the incident is resolved or cancelled')
  .option('--json', 'one JSON event per line (ndjson)')
  .description('Follow the timeline live, one line per event, until Ctrl-C.')
  .action(async (id: string, opts: { after: string; untilClosed?: boolean; json?: boolean }, cmd: Command) => {
    await incidentsTail(api(cmd), id, opts);
  });

registerIncidentWork(program, incidents, api);
registerRelatedIncidents(incidents, api);

for (const decision of ['approve', 'deny'] as const) {
  const command = program
    .command(decision)
    .argument('<incident>', 'the incident id (or its first 8 characters)')
    .argument('<gate>', 'the gate id, e.g. isolate-host (`incidents show` lists those waiting)')
    .description(
      decision === 'approve'
        ? 'Approve a gate, as the person your token names (approver role).'
        : 'Deny a gate, saying why, as the person your token names (approver role).',
    );
  if (decision === 'approve') {
    command.option('--reason <text>', 'why (goes on the timeline)').option('--choice <option>', 'on a gate that offers options: which one');
  } else {
    command.requiredOption('--reason <text>', 'why (3 characters or more; goes on the timeline)');
  }
  command.option('--json', 'print the verdict as JSON').action(async (incident: string, gate: string, opts: { reason?: string; choice?: string; json?: boolean }, cmd: Command) => {
    await vote(api(cmd), decision, incident, gate, opts);
  });
}

program
  .command('postmortem')
  .argument('<id>', 'the incident id (or its first 8 characters)')
  .option('--format <format>', 'md, html or json (default: from the -o extension, else md)')
  .option('-o, --output <file>', 'write it to this file instead of stdout')
  .description("An incident's postmortem: timeline, time to detect / acknowledge / contain / resolve, approvals, what the automation did.")
  .action(async (id: string, opts: { format?: string; output?: string }, cmd: Command) => {
    await postmortem(api(cmd), id, opts);
  });

program
  .command('report')
  .option('--since <time>', 'incidents detected at or after: an ISO time or a duration back from now (default: 30 days before --until)')
  .option('--until <time>', 'detected before: an ISO time or a duration back from now (default: now)')
  .option('--by <grouping>', 'playbook, severity, source, day or week')
  .option('--playbook <name>', "only this playbook's incidents")
  .option('--json', 'print both reports as JSON')
  .description('MTTD, MTTA, MTTC and MTTR (mean, median, p90) over a period, and the false-positive rate per routing rule and per vendor rule.')
  .action(async (opts: { since?: string; until?: string; by?: string; playbook?: string; json?: boolean }, cmd: Command) => {
    await report(api(cmd), opts);
  });

registerReview(program, api);

const token = program.command('token').description('create | ls | revoke (admin), claim: API tokens.');
token
  .command('create')
  .requiredOption('--name <who>', 'who uses it: for approvers, their id in runbooks/people.yaml')
  .requiredOption('--role <role>', 'viewer, responder, approver or admin')
  .option('--expires-in <duration>', 'how long it lasts, e.g. 12h or 30d (default and longest: the server\'s PALISADE_TOKEN_TTL, PALISADE_TOKEN_MAX_TTL)')
  .option('--json', 'print the token and its record as JSON')
  .description('Create a token; it is printed this once only. One made for someone else is yours too until they claim it.')
  .action(async (opts: { name: string; role: string; expiresIn?: string; json?: boolean }, cmd: Command) => {
    await tokenCreate(api(cmd), opts);
  });
token
  .command('claim')
  .argument('<code>', 'the claim code Palisade sent you in Slack')
  .option('--json', 'print the new token and its record as JSON')
  .description('Make the token you were given yours (PALISADE_TOKEN or --token): prints its new secret; the old one stops working.')
  .action(async (code: string, opts: { json?: boolean }, cmd: Command) => {
    await tokenClaim(api(cmd), code, opts);
  });
token
  .command('ls')
  .option('--json', 'print {tokens} as JSON')
  .description('Every token: name, role, who made it, last use, revocation (never the token).')
  .action(async (opts: { json?: boolean }, cmd: Command) => {
    await tokenList(api(cmd), opts);
  });
token
  .command('revoke')
  .argument('<id>', 'the token id (or its first characters, as `token ls` shows it)')
  .option('--reason <text>', 'why (goes to the audit log)')
  .option('--json', 'print the revoked token as JSON')
  .description('Revoke a token at once.')
  .action(async (id: string, opts: { reason?: string; json?: boolean }, cmd: Command) => {
    await tokenRevoke(api(cmd), id, opts);
  });

registerDeploy(program, api);

const gameday = program.command('gameday').description('run | validate: rehearse on the simulated fleet (runbooks/gamedays/).');
gameday
  .command('run')
  .argument('<scenario>', 'a scenario file, or a name under runbooks/gamedays/ (e.g. host-compromise)')
  .option('-o, --output <dir>', 'where the scorecard (md + json) goes', '.palisade/gamedays')
  .option('--json', 'print the scorecard as JSON on stdout (progress goes to stderr)')
  .description("Run a game day against the engine (an admin token): fleet, faults, signed alerts, approvals; then score each incident and the scenario's SLOs (exit 7 if one failed).")
  .action(async (scenario: string, opts: { output: string; json?: boolean }, cmd: Command) => {
    const { gamedayRun } = await import('./commands/gameday');
    await gamedayRun(api(cmd), cliSettings(), scenario, opts);
  });
gameday
  .command('validate')
  .argument('[files...]', 'scenario files (default: every runbooks/gamedays/*.yaml)')
  .option('--json', 'print {ok, scenarios} as JSON')
  .description('Check scenario files: each invalid one is named with its field and what is wrong.')
  .action(async (files: string[], opts: { json?: boolean }) => {
    const { gamedayValidate } = await import('./commands/gameday');
    gamedayValidate(files, opts);
  });

program
  .command('replay')
  .description('check: replay recorded histories on the current workflow code.')
  .command('check')
  .option('--dir <dir>', 'the recorded histories', HISTORY_DIR)
  .option('--live', "replay the live engine's open incidents (their histories from Temporal, the list from the API) instead")
  .option('--json', 'print {ok, histories} (with --live: {ok, replayed, skipped}) as JSON')
  .description('Replay every recorded history, or with --live every open incident, on the current workflow code (exit 6 if one no longer replays).')
  .action(async (opts: { dir: string; live?: boolean; json?: boolean }, cmd: Command) => {
    const config = loadConfig(process.env);
    if (opts.live) {
      const { replayCheckLive } = await import('./commands/replay-live');
      return replayCheckLive(api(cmd), config, { json: opts.json, teamDirs: config.playbooks.teamDirs });
    }
    const { replayCheck } = await import('./commands/replay-check');
    await replayCheck({ ...opts, teamDirs: config.playbooks.teamDirs });
  });

const playbook = program.command('playbook').description("run: start one by hand; new | check | test: write a team's own playbooks (docs/playbooks.md).");
registerPlaybookRun(playbook, api);
playbook
  .command('new')
  .argument('<name>', 'lower-case words joined by hyphens, e.g. compromised-identity')
  .option('--dir <dir>', "the folder of your team's playbooks (default: the first PALISADE_PLAYBOOKS_DIR folder)")
  .description('Scaffold a playbook that works as generated: playbook.ts (one step, one gate), runbook.md, a test on the kit; prints the routing rule to paste.')
  .action(async (name: string, opts: { dir?: string }) => {
    const { playbookNew } = await import('./commands/playbook-new');
    await playbookNew(loadConfig(process.env), name, opts);
  });
playbook
  .command('check')
  .argument('[dir]', 'a folder of playbook folders (default: every PALISADE_PLAYBOOKS_DIR folder)')
  .option('--json', 'print {ok, checks} as JSON')
  .description('Check playbooks without starting the engine: declarations, types, approvals.yaml and routing against the catalogue, the bundle, recorded histories (exit 9 on a problem).')
  .action(async (dir: string | undefined, opts: { json?: boolean }) => {
    const { playbookCheck } = await import('./commands/playbook-check');
    await playbookCheck(loadConfig(process.env), dir, opts);
  });
playbook
  .command('test')
  .argument('[dir]', 'a folder of playbook folders (default: the first PALISADE_PLAYBOOKS_DIR folder)')
  .argument('[vitestArgs...]', 'passed to vitest, e.g. -- -t "denies"')
  .description("Run a folder's playbook tests (*.test.ts) on a real Temporal and Postgres with the test kit (exit 9 if one fails).")
  .action(async (dir: string | undefined, vitestArgs: string[]) => {
    const { playbookTest } = await import('./commands/playbook-test');
    await playbookTest(loadConfig(process.env), dir, vitestArgs, process.env);
  });

program
  .command('providers')
  .description('check: the vendors runbooks/providers.yaml uses.')
  .command('check')
  .option('--json', 'print {ok, file, checks} as JSON')
  .description("Build each configured vendor as the worker would (this process's environment) and call its cheapest read-only endpoint: what works, what is denied and which permission it lacks, what fails (exit 8 if any).")
  .action(async (opts: { json?: boolean }) => {
    const { providersCheck } = await import('./commands/providers-check');
    if (!(await providersCheck(loadConfig(process.env), process.env, opts))) process.exitCode = EXIT.providerCheckFailed;
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof PalisadeError) {
    console.error(`palisade: ${err.message}\n  ${err.hint}`);
    if (jsonOutput) console.log(JSON.stringify(err.toBody()));
  } else {
    console.error(`palisade: ${describeError(err)}`);
  }
  process.exit(err instanceof CliError ? err.exitCode : EXIT.usage);
});
