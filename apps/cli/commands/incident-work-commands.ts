import type { Command } from 'commander';
import type { ApiClient } from './api-client';
import { CLASSIFICATIONS } from '../../../lib/domain/classification';
import { incidentAction, type ActionOptions, type IncidentAction } from './incident-actions';
import { incidentOpen, playbookRun } from './incident-open';
import { incidentsLink, incidentsMerge } from './incidents-related';
import { suppressionsAdd, suppressionsList, suppressionsRemove } from './suppressions';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * The commands a responder works incidents with (README "Working an incident"): `incidents
 * open|ack|take|assign|unassign|note|resolve|cancel|edit`, `suppressions ls|add|rm`, and
 * `playbook run` (registered on `playbook` by the caller through `registerPlaybookRun`).
 */
export function registerIncidentWork(program: Command, incidents: Command, api: (cmd: Command) => ApiClient): void {
  incidents
    .command('open')
    .argument('<title>', 'what happened, in one line')
    .requiredOption('--severity <level>', 'low, medium, high or critical')
    .option('--entity <key>', 'the host, account or resource concerned')
    .option('--json', "print the API's answer as JSON")
    .description('Report an incident by hand (responder): its manual-incident playbook waits for a responder to resolve or cancel it.')
    .action(async (title: string, opts: { severity: string; entity?: string; json?: boolean }, cmd: Command) => {
      await incidentOpen(api(cmd), title, opts);
    });

  const suppressions = program.command('suppressions').description('ls | add | rm: maintenance windows in which alerts for an entity open no incident.');
  suppressions
    .command('ls')
    .option('--all', 'closed and deleted windows too')
    .option('--json', 'print the windows as JSON')
    .description('The windows open now (viewer).')
    .action(async (opts: { all?: boolean; json?: boolean }, cmd: Command) => {
      await suppressionsList(api(cmd), opts);
    });
  suppressions
    .command('add')
    .argument('<entity-pattern>', 'an entity key, * as a wildcard, e.g. "host:db-*"')
    .requiredOption('--until <time>', 'when it closes: an ISO time or a duration from now (2h, 1d)')
    .option('--from <time>', 'when it opens (default: now)')
    .requiredOption('--reason <text>', 'why (a change ticket, a drill)')
    .option('--json', "print the API's answer as JSON")
    .description('Open a window (admin).')
    .action(async (pattern: string, opts: { from?: string; until: string; reason: string; json?: boolean }, cmd: Command) => {
      await suppressionsAdd(api(cmd), pattern, opts);
    });
  suppressions
    .command('rm')
    .argument('<id>', 'the window id (ls shows it)')
    .option('--json', "print the API's answer as JSON")
    .description('Close a window now (admin).')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      await suppressionsRemove(api(cmd), id, opts);
    });

  // What a responder does to an incident (responder role): one API route each.
  const incidentActions: { name: IncidentAction; args?: string; description: string; options: (c: Command) => Command }[] = [
    { name: 'ack', description: 'Acknowledge it: you are on it (its page is acknowledged at the vendor too).', options: (c) => c.option('--note <text>', 'what you are doing about it (timeline)') },
    { name: 'take', description: 'Take it: it is yours from now.', options: (c) => c.option('--reason <text>', 'why (timeline)') },
    { name: 'assign', args: '<person>', description: "Give it to a person of people.yaml (their id or email).", options: (c) => c.option('--reason <text>', 'why (timeline)') },
    { name: 'unassign', description: 'Give it back to nobody.', options: (c) => c.option('--reason <text>', 'why (timeline)') },
    { name: 'note', args: '<text>', description: 'Write a note on its timeline (Markdown, kept as text; "-" reads stdin).', options: (c) => c },
    {
      name: 'resolve',
      description: 'Resolve it, saying what it was: its playbook records it and closes the incident.',
      options: (c) => c.requiredOption('--classification <kind>', `what it was: ${CLASSIFICATIONS.join(', ')}`).requiredOption('--reason <text>', 'why (timeline)'),
    },
    {
      name: 'cancel',
      description: 'Cancel it (a false positive): its playbook undoes what it changed, once another approver agrees where containment is undone.',
      options: (c) => c.option('--classification <kind>', `what it was (default false_positive): ${CLASSIFICATIONS.join(', ')}`).requiredOption('--reason <text>', 'why (timeline)'),
    },
    {
      name: 'edit',
      description: 'Change its tags, severity or title, saying why.',
      options: (c) =>
        c
          .option('--tag <tag>', 'a tag (repeat, or comma-separated; replaces the whole set; "" for none)', collect)
          .option('--severity <level>', 'low, medium, high or critical')
          .option('--title <text>', 'a new title')
          .requiredOption('--reason <text>', 'why (timeline)'),
    },
  ];
  for (const action of incidentActions) {
    const command = incidents.command(action.name).argument('<id>', 'the incident id (or its first 8 characters)');
    if (action.args) command.argument(action.args);
    action
      .options(command.description(action.description))
      .option('--json', "print the API's answer as JSON")
      .action(async (id: string, ...rest: unknown[]) => {
        const [arg, opts, cmd] = action.args ? (rest as [string, ActionOptions, Command]) : [undefined, ...(rest as [ActionOptions, Command])];
        await incidentAction(api(cmd), action.name, id, arg, opts);
      });
  }
}

/** `palisade playbook run <name> --param k=v …`. */
export function registerPlaybookRun(playbook: Command, api: (cmd: Command) => ApiClient): void {
  playbook
    .command('run')
    .argument('<name>', 'the playbook (GET /playbooks lists those that can be started by hand, with their params)')
    .option('--param <key=value>', "a parameter (repeat); a JSON value is taken as JSON", collect)
    .option('--severity <level>', 'low, medium, high or critical (default high)')
    .option('--title <text>', "the incident's title (default: the playbook's own)")
    .option('--json', "print the API's answer as JSON")
    .description('Start a playbook by hand (responder): it opens an incident for the entity its params name.')
    .action(async (name: string, opts: { param?: string[]; severity?: string; title?: string; json?: boolean }, cmd: Command) => {
      await playbookRun(api(cmd), name, opts);
    });
}

/** `palisade incidents link|merge`: related incidents (README "Working an incident"). */
export function registerRelatedIncidents(incidents: Command, api: (cmd: Command) => ApiClient): void {
  incidents
    .command('link')
    .argument('<id>', 'the incident id (or its first 8 characters)')
    .argument('<other>', 'the incident to link it to')
    .option('--relation <relation>', 'related (default), caused-by (<id> was caused by <other>) or causes')
    .option('--reason <text>', 'why (goes on both timelines)')
    .option('--json', 'print the answer as JSON')
    .description('Link two incidents: both timelines say so, and `incidents show` lists the link on both (responder).')
    .action(async (id: string, other: string, opts: { relation?: string; reason?: string; json?: boolean }, cmd: Command) => {
      await incidentsLink(api(cmd), id, other, opts);
    });
  incidents
    .command('merge')
    .argument('<id>', 'the duplicate (or its first 8 characters)')
    .requiredOption('--into <id>', 'the incident that stays open and takes its alerts')
    .requiredOption('--reason <text>', 'why it is a duplicate (goes on both timelines)')
    .option('--undo', "undo what the duplicate's playbook changed, as a cancel does (default: it stays done)")
    .option('--json', 'print the answer as JSON')
    .description("Merge a duplicate into another incident: its alerts move, its playbook stops, it closes pointing at the survivor (responder).")
    .action(async (id: string, opts: { into: string; reason: string; undo?: boolean; json?: boolean }, cmd: Command) => {
      await incidentsMerge(api(cmd), id, opts);
    });
}
